// The SopsSecret decision, pure. The Secret, hashes, ownership rules, status and events are the
// decrypted-secret plan's, over a view of the SopsSecret whose "encryptedData" is the digest of the
// document; SOPS adds the MAC-not-checked state and identity-entry problems.
import { createHash } from "node:crypto";
import type { SopsSecret } from "../../api/sops-secret.ts";
import type { MacResult } from "../../crypto/sops.ts";
import type { KubeObject } from "../../kube/port.ts";
import type { OpenedValue } from "../keys/rsa-protocol.ts";
import { nextStatus, priorSynced, type SealedLike, type SyncedReason, type SyncedState } from "../decrypted-secret/conditions.ts";
import { failurePlan, plan, type EventSpec, type KeyringView, type Plan } from "../decrypted-secret/plan.ts";
import { mayWrite } from "../decrypted-secret/ownership.ts";
import { boundedMessage } from "../messages.ts";

/** The SopsSecret as the decrypted-secret plan sees it: the document's digest stands for the ciphertexts. */
export function sopsView(sops: SopsSecret, type?: string): SealedLike {
  const source = sops.spec.document ?? JSON.stringify(sops.encryptedObject ?? {});
  const template = { ...sops.spec.template };
  if (template.type === undefined && type !== undefined) template.type = type;
  return {
    apiVersion: sops.apiVersion,
    kind: sops.kind,
    metadata: sops.metadata,
    spec: { template, encryptedData: { "sops-document": createHash("sha256").update(source).digest("hex") } },
    ...(sops.status ? { status: sops.status } : {}),
  };
}

export type SopsResult =
  /** status records that the Secret is current for this document and identities: nothing decrypted. */
  | { kind: "current"; keys: readonly string[] }
  | { ok: true; data: Record<string, Uint8Array>; type?: string; mac: MacResult; identityFingerprint: string }
  | { ok: false; reason: SyncedReason; message: string };

export interface SopsPlanInput {
  sops: SopsSecret;
  secret: KubeObject | undefined;
  result: SopsResult;
  /** Identity entries that hold no usable identity, missing identity Secrets (never their content). */
  identityProblems: readonly string[];
  /** The identities tried, as fingerprints of their recipients (for hashes and compromised keys). */
  keyring: KeyringView;
  now: Date;
}

function withProblems(message: string, problems: readonly string[]): string {
  if (problems.length === 0) return message;
  return `${message}${message === "" ? "" : "; "}identity problems: ${problems.join("; ")}`;
}

export function planSops(input: SopsPlanInput): Plan {
  const { sops, secret, result, keyring, now } = input;
  if ("kind" in result) {
    const view = sopsView(sops);
    const p = plan({ sealed: view, secret, outcome: result, keyring, now });
    const prior = priorSynced(view);
    // The fast path knows nothing new about the MAC or identity entries: keep what status says.
    if (p.state.reason !== "Unsealed" || prior?.status !== "True" || (prior.reason !== "MacNotChecked" && prior.reason !== "IdentitySecretProblem")) return p;
    const state: SyncedState = { status: "True", reason: prior.reason, message: prior.message ?? "" };
    const out: Plan = { ...p, state };
    delete out.status;
    const status = nextStatus(view, state, now);
    if (status) out.status = status;
    return out;
  }
  const view = sopsView(sops, result.ok ? result.type : undefined);
  if (!result.ok) {
    if (secret && !mayWrite(secret, view)) return plan({ sealed: view, secret, outcome: { kind: "current", keys: [] }, keyring, now });
    return failurePlan({ sealed: view, keyring, now }, result.reason, withProblems(result.message, input.identityProblems));
  }
  const values: OpenedValue[] = Object.entries(result.data).map(([name, plaintext]) => ({ name, ok: true, plaintext, fingerprint: result.identityFingerprint }));
  const p = plan({ sealed: view, secret, outcome: { kind: "opened", values, labels: [] }, keyring, now });
  if (p.state.status !== "True") return p;
  let state: SyncedState = p.state;
  if (result.mac.status === "NotChecked") {
    state = { status: "True", reason: "MacNotChecked", message: withProblems(`unsealed, but the SOPS MAC was not checked: ${result.mac.why}; put the file in spec.document to have it verified`, input.identityProblems) };
  } else if (input.identityProblems.length > 0 && state.reason === "Unsealed") {
    state = { status: "True", reason: "IdentitySecretProblem", message: withProblems("unsealed", input.identityProblems) };
  }
  if (state === p.state) return p;
  const status = nextStatus(view, state, now);
  const prior = priorSynced(view);
  const events: EventSpec[] = [...p.events];
  const changed = prior?.reason !== state.reason || (prior.message ?? "") !== boundedMessage(state.message);
  if (changed) events.push({ type: "Warning", reason: state.reason, message: state.message });
  const out: Plan = { ...p, state, events };
  delete out.status;
  if (status) out.status = status;
  return out;
}
