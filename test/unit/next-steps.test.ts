// The commands `npm start` prints after the sandbox's KUBECONFIG= line.
import assert from "node:assert/strict";
import { test } from "node:test";
import { nextSteps } from "../../src/sandbox/next-steps.ts";

test("with the service proxy, kubeseal and sealbridge seal need no flags", () => {
  const lines = nextSteps({ kubeconfigPath: "/tmp/sb/kubeconfig", proxied: true, apiPort: 8080 });
  assert.equal(lines[1], "  export KUBECONFIG=/tmp/sb/kubeconfig");
  assert.match(lines[2] ?? "", /\| kubeseal -o yaml > demo-sealed\.yaml {3}# or: npx sealbridge seal -o yaml$/);
  assert.doesNotMatch(lines.join("\n"), /--cert/);
  assert.equal(lines.length, 5);
});

test("without it, both seal through the controller's --cert URL", () => {
  const lines = nextSteps({ kubeconfigPath: "/tmp/sb/kubeconfig", proxied: false, apiPort: 41234 });
  assert.match(lines[2] ?? "", /kubeseal --cert http:\/\/127\.0\.0\.1:41234\/v1\/cert\.pem -o yaml .* npx sealbridge seal --cert http:\/\/127\.0\.0\.1:41234\/v1\/cert\.pem -o yaml$/);
});
