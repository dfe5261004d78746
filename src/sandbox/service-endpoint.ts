// Makes a controller running on this machine reachable the way kubeseal reaches a deployed one:
// through the API server's service proxy to Service "sealed-secrets-controller", first port "http".
//
// kube-apiserver's rules (k8s.io/kubernetes pkg/registry/core/service/storage ResourceLocation, and
// ValidateEndpointIP in pkg/apis/core/validation): the proxy reads the core/v1 Endpoints object of the
// Service's name (not EndpointSlices), takes a subset port whose name is the Service port's name, and
// forwards only to an address whose targetRef names a Pod in the same namespace with that IP in
// status.podIPs; Endpoints may not hold unspecified, loopback or link-local addresses. The sandbox has
// no kubelet and no endpoints controller, so this writes the Pod (and its status), a selector-less
// Service and its Endpoints itself, with the host end of a veth pair of our own as the "Pod IP".
import { request } from "node:http";
import { resources } from "../api/resources.ts";
import type { KubeObject, KubePort } from "../kube/port.ts";
import type { Logger } from "../log.ts";
import { createVethNamespace, NetworkNamespaceUnavailable, type VethNamespace } from "./veth-namespace.ts";

export const CONTROLLER_SERVICE = "sealed-secrets-controller";
/** The Service port kubeseal's manifests use; the proxy maps it to the controller's real port. */
export const SERVICE_PORT = 8080;

export interface ServiceEndpointObjects {
  pod: KubeObject;
  /** Written through the status subresource once the Pod exists. */
  podStatus: Record<string, unknown>;
  service: KubeObject;
  endpoints: KubeObject;
}

export interface ServiceEndpointSpec {
  namespace: string;
  /** The Service's name (kubeseal's --controller-name). */
  service?: string;
  /** The address the API server connects to. */
  ip: string;
  /** The port the controller's HTTP API listens on. */
  apiPort: number;
}

/** The Pod, Service and Endpoints that make the service proxy forward to `ip:apiPort`. */
export function serviceEndpointObjects(spec: ServiceEndpointSpec): ServiceEndpointObjects {
  const service = spec.service ?? CONTROLLER_SERVICE;
  const namespace = spec.namespace;
  const podName = `${service}-sandbox`;
  const labels = { "app.kubernetes.io/name": service, "app.kubernetes.io/managed-by": "sealbridge-sandbox" };
  return {
    pod: {
      apiVersion: "v1",
      kind: "Pod",
      metadata: { name: podName, namespace, labels },
      // Never scheduled (no scheduler, no kubelet): it exists so the proxy's Pod IP check passes.
      spec: { automountServiceAccountToken: false, containers: [{ name: "controller", image: "sealbridge:sandbox" }] },
    },
    podStatus: { phase: "Running", podIP: spec.ip, podIPs: [{ ip: spec.ip }] },
    service: {
      apiVersion: "v1",
      kind: "Service",
      metadata: { name: service, namespace, labels },
      spec: { ports: [{ name: "http", protocol: "TCP", port: SERVICE_PORT, targetPort: spec.apiPort }] },
    },
    endpoints: {
      apiVersion: "v1",
      kind: "Endpoints",
      metadata: { name: service, namespace, labels },
      subsets: [
        {
          addresses: [{ ip: spec.ip, targetRef: { kind: "Pod", name: podName, namespace } }],
          ports: [{ name: "http", protocol: "TCP", port: spec.apiPort }],
        },
      ],
    },
  };
}

export type ServiceEndpointUnavailableReason = NetworkNamespaceUnavailable["reason"] | "ControllerUnreachable";

/** The endpoint cannot be set up here; `message` says why, for the user. */
export class ServiceEndpointUnavailable extends Error {
  override readonly name = "ServiceEndpointUnavailable";
  readonly reason: ServiceEndpointUnavailableReason;

  constructor(reason: ServiceEndpointUnavailableReason, message: string) {
    super(message);
    this.reason = reason;
  }
}

export interface ServiceEndpoint {
  /** The address the service proxy forwards to (the host end of the veth pair). */
  readonly address: string;
  readonly network: VethNamespace;
  /** Deletes the Endpoints, Service and Pod, then the veth pair and namespace. Safe to call twice. */
  remove(): Promise<void>;
}

export interface ExposeOptions {
  kube: KubePort;
  namespace: string;
  apiPort: number;
  service?: string;
}

/** Does anything answer HTTP at address:port? (The controller must listen there or on all interfaces.) */
function answersHttp(address: string, port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const req = request({ host: address, port, path: "/healthz", timeout: 2000 }, (res) => {
      res.resume();
      resolve(true);
    });
    req.on("error", () => resolve(false));
    req.on("timeout", () => req.destroy());
    req.end();
  });
}

/**
 * Creates the veth namespace, checks that the controller answers on its host address, and registers
 * the Pod, Service and Endpoints. Throws ServiceEndpointUnavailable when that cannot work here.
 */
export async function exposeThroughServiceProxy(options: ExposeOptions): Promise<ServiceEndpoint> {
  let network: VethNamespace;
  try {
    network = await createVethNamespace();
  } catch (err) {
    if (err instanceof NetworkNamespaceUnavailable) throw new ServiceEndpointUnavailable(err.reason, err.message);
    throw err;
  }
  const objects = serviceEndpointObjects({ namespace: options.namespace, ip: network.hostAddress, apiPort: options.apiPort, ...(options.service ? { service: options.service } : {}) });
  const created: KubeObject[] = [];
  let removing: Promise<void> | undefined;
  const remove = () => {
    removing ??= (async () => {
      // Objects first, while the API server is surely up; then the network, whatever happened.
      const order = [resources.endpoints, resources.service, resources.pod];
      for (const resource of order) {
        const obj = created.find((o) => o.kind === resource.kind);
        if (obj) await options.kube.delete(resource, options.namespace, obj.metadata?.name ?? "").catch(() => undefined);
      }
      await network.remove();
    })();
    return removing;
  };
  try {
    if (!(await answersHttp(network.hostAddress, options.apiPort))) {
      throw new ServiceEndpointUnavailable(
        "ControllerUnreachable",
        `the controller API does not answer on ${network.hostAddress}:${options.apiPort}: it must listen on all interfaces, not on loopback only (--listen-addr)`,
      );
    }
    const pod = await options.kube.create(resources.pod, objects.pod);
    created.push(objects.pod);
    await options.kube.replaceStatus(resources.pod, { ...pod, status: objects.podStatus });
    await options.kube.create(resources.service, objects.service);
    created.push(objects.service);
    await options.kube.create(resources.endpoints, objects.endpoints);
    created.push(objects.endpoints);
    return { address: network.hostAddress, network, remove };
  } catch (err) {
    await remove();
    throw err;
  }
}

export interface SandboxControllerOptions {
  kube: KubePort;
  /** Where kubeseal looks by default: kube-system. */
  namespace: string;
  apiPort: number;
  log: Logger;
  /** Prints one line for the user (the sandbox's stdout). */
  print: (line: string) => void;
}

/**
 * `npm start`'s sandbox: registers `<namespace>/sealed-secrets-controller` so that kubeseal and
 * `sealbridge seal` work with the printed KUBECONFIG and no flags. Never fails the start: when the
 * endpoint cannot be set up it prints the `--cert` line to use instead.
 */
export async function registerSandboxController(options: SandboxControllerOptions): Promise<{ proxied: boolean; remove(): Promise<void> }> {
  try {
    const endpoint = await exposeThroughServiceProxy({ kube: options.kube, namespace: options.namespace, apiPort: options.apiPort });
    options.log.info(
      { namespace: options.namespace, service: CONTROLLER_SERVICE, address: endpoint.address, interface: endpoint.network.hostInterface, namespaceHolderPid: endpoint.network.holderPid },
      "service proxy endpoint registered",
    );
    return { proxied: true, remove: () => endpoint.remove() };
  } catch (err) {
    const reason = err instanceof Error ? err.message : String(err);
    options.log.warn({ error: reason }, "service proxy endpoint not registered");
    options.print(fallbackLine(reason, options.apiPort));
    return { proxied: false, remove: () => Promise.resolve() };
  }
}

export function fallbackLine(reason: string, apiPort: number): string {
  return `sealbridge: the API server's service proxy cannot reach this sandbox controller (${reason}); use kubeseal --cert http://127.0.0.1:${apiPort}/v1/cert.pem`;
}
