// Which documents `check` looks at, read leniently: a document that is not one of ours is skipped,
// one of ours with a broken shape is a finding (parsed by the same src/api parsers as the controller).
import { isRecord } from "../api/sealed-secret.ts";

export type CheckedKind =
  | "SealedSecret"
  | "AgeSecret"
  | "SopsSecret"
  | "SopsFile"
  | "ExternalSecret"
  | "ClusterExternalSecret"
  | "PushSecret"
  | "SecretStore"
  | "ClusterSecretStore"
  | "Secret";

export interface ObjectIdentity {
  apiVersion: string;
  kind: string;
  name: string;
  /** "" when the manifest has none. */
  namespace: string;
}

const ESO_GROUP = "external-secrets.io/";

function text(v: unknown): string {
  return typeof v === "string" ? v : "";
}

export function identityOf(value: unknown): ObjectIdentity | undefined {
  if (!isRecord(value)) return undefined;
  const meta = isRecord(value["metadata"]) ? value["metadata"] : {};
  return { apiVersion: text(value["apiVersion"]), kind: text(value["kind"]), name: text(meta["name"]), namespace: text(meta["namespace"]) };
}

/** "Kind ns/name", "Kind name" (no namespace) or "Kind" (no name). Names are identifiers, not values. */
export function describeObject(id: Pick<ObjectIdentity, "kind" | "name" | "namespace">): string {
  const kind = /^[A-Za-z][A-Za-z0-9]{0,62}$/.test(id.kind) ? id.kind : "object";
  if (id.name === "") return kind;
  // Kubernetes names are DNS names; anything else is not echoed (it could be a pasted value).
  const valid = (s: string) => /^[a-z0-9]([-a-z0-9.]{0,251}[a-z0-9])?$/i.test(s);
  const name = valid(id.name) ? id.name : "(invalid name)";
  if (id.namespace === "") return `${kind} ${name}`;
  return `${kind} ${valid(id.namespace) ? id.namespace : "(invalid namespace)"}/${name}`;
}

/** A document SOPS encrypted: a top-level `sops` mapping with its MAC or its key sources. */
export function isSopsEncrypted(value: unknown): boolean {
  if (!isRecord(value)) return false;
  const sops = value["sops"];
  return isRecord(sops) && ("mac" in sops || "age" in sops || "lastmodified" in sops);
}

export function classify(value: unknown): CheckedKind | undefined {
  const id = identityOf(value);
  if (id === undefined) return undefined;
  if (id.apiVersion === "bitnami.com/v1alpha1" && id.kind === "SealedSecret") return "SealedSecret";
  if (id.apiVersion === "sealbridge.dev/v1alpha1" && id.kind === "AgeSecret") return "AgeSecret";
  if (id.apiVersion === "sealbridge.dev/v1alpha1" && id.kind === "SopsSecret") return "SopsSecret";
  if (isSopsEncrypted(value)) return "SopsFile";
  if (id.apiVersion.startsWith(ESO_GROUP)) {
    if (id.kind === "ExternalSecret" || id.kind === "ClusterExternalSecret" || id.kind === "PushSecret" || id.kind === "SecretStore" || id.kind === "ClusterSecretStore") return id.kind;
    return undefined;
  }
  if (id.apiVersion === "v1" && id.kind === "Secret") return "Secret";
  return undefined;
}

/** The scope-bearing kinds: their values are bound to the name and namespace they were sealed for. */
export function isScoped(kind: CheckedKind | undefined): kind is "SealedSecret" | "AgeSecret" | "SopsSecret" {
  return kind === "SealedSecret" || kind === "AgeSecret" || kind === "SopsSecret";
}
