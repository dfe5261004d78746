// What `npm start` prints after the sandbox's KUBECONFIG= line: the commands a newcomer runs next
// (seal a Secret, apply it, read the Secret the controller made). Pure: main.ts prints the lines.

export interface NextStepsInput {
  kubeconfigPath: string;
  /** kubeseal reaches the controller through the API server's service proxy (no flags needed). */
  proxied: boolean;
  /** The controller API port, for the --cert URL when the service proxy cannot reach it. */
  apiPort: number;
}

export function nextSteps(input: NextStepsInput): string[] {
  const cert = input.proxied ? "" : ` --cert http://127.0.0.1:${input.apiPort}/v1/cert.pem`;
  return [
    "next, in another shell: seal a Secret, apply it, and read the Secret the controller makes of it",
    `  export KUBECONFIG=${input.kubeconfigPath}`,
    `  kubectl create secret generic demo --from-literal=password=change-me --dry-run=client -o yaml | kubeseal${cert} -o yaml > demo-sealed.yaml   # or: npx sealbridge seal${cert} -o yaml`,
    "  kubectl apply -f demo-sealed.yaml && kubectl wait --for=condition=Ready sealedsecret/demo --timeout=60s",
    "  kubectl get secret demo -o jsonpath='{.data.password}' | base64 -d; echo",
  ];
}
