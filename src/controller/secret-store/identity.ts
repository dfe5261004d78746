// Whose identity a store's provider would authenticate with. A namespaced SecretStore is written by
// whoever may edit its namespace; letting it fall back to the controller's own credentials (its
// service-account token, its ambient AWS credentials) would lend them the controller's access —
// and send the controller's token to a server of the store author's choosing. ESO allows both;
// sealbridge refuses them unless the operator says otherwise. ClusterSecretStores, written by
// cluster administrators, may.
import type { ProviderSpec } from "../../api/secret-store.ts";

/** Why this provider configuration would borrow the controller's identity, or undefined. */
export function borrowedIdentity(provider: ProviderSpec): string | undefined {
  if (provider.kind === "aws" && provider.auth.kind === "default") {
    return "spec.provider.aws.auth is empty, so the controller's own AWS credentials (environment, instance role, IRSA) would be used";
  }
  if (provider.kind === "vault" && provider.auth.kind === "kubernetes" && !provider.auth.serviceAccountRef && !provider.auth.secretRef) {
    return "spec.provider.vault.auth.kubernetes has neither serviceAccountRef nor secretRef, so the controller's own service-account token would be sent to the Vault server";
  }
  return undefined;
}

/** The refusal for a namespaced store, or undefined when it may go ahead. */
export function identityRefusal(store: { kind: string }, provider: ProviderSpec, allowNamespacedAmbient: boolean): string | undefined {
  if (store.kind !== "SecretStore" || allowNamespacedAmbient) return undefined;
  const why = borrowedIdentity(provider);
  if (why === undefined) return undefined;
  return `${why}; a namespaced SecretStore may not use the controller's identity: configure auth with a secretRef or serviceAccountRef, use a ClusterSecretStore, or start the controller with --allow-namespaced-ambient-credentials`;
}
