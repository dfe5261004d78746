// The KubePort over a @kubernetes/client-node KubeConfig (the CLI and the tests hold one): the same
// HTTP adapter as the controller's, authenticated by client-node. The controller itself connects
// without client-node (src/kube/connection.ts).
import type { KubeConfig } from "@kubernetes/client-node";
import { connectionFromKubeConfig } from "./connection.ts";
import { HttpKube, type HttpKubeOptions } from "./http-kube.ts";

export class ClientNodeKube extends HttpKube {
  readonly kubeConfig: KubeConfig;

  constructor(kubeConfig: KubeConfig, options: HttpKubeOptions = {}) {
    if (!kubeConfig.getCurrentCluster()) throw new Error("the kubeconfig has no current cluster");
    super(connectionFromKubeConfig(kubeConfig), options);
    this.kubeConfig = kubeConfig;
  }
}
