// The SealedSecret's decrypt step for the decrypted-secret reconciler: its values open with the RSA
// keys (off the event loop, in the RSA pool) under the object's own scope label, the other labels
// being tried only to diagnose; it keeps Sealed Secrets' rules for released names and for a Secret
// the cache still holds after its deletion.
import { parseSealedSecret, type SealedSecret } from "../../api/sealed-secret.ts";
import { resources } from "../../api/resources.ts";
import type { KubeObject } from "../../kube/port.ts";
import type { AppliedKeys, Decrypted, DecryptStep, StepPlanInput } from "../decrypted-secret/decrypt-step.ts";
import { keyringView, type Plan, type UnsealOutcome } from "../decrypted-secret/plan.ts";
import { DecryptedSecretReconciler, type DecryptedSecretReconcilerOptions } from "../decrypted-secret/reconciler.ts";
import { labelsToTry } from "../decrypted-secret/scope-labels.ts";
import type { Keyring } from "../keys/keyring.ts";
import { DecryptWorkerUnavailableError, type RsaPool } from "../keys/rsa-pool.ts";
import type { OpenedValue } from "../keys/rsa-protocol.ts";
import { planSealed } from "./plan.ts";

export interface SealedSecretReconcilerOptions extends DecryptedSecretReconcilerOptions {
  keyring: () => Keyring;
  pool: RsaPool;
}

interface SealedKeys extends AppliedKeys {
  ring: Keyring;
}

type Opened = Extract<UnsealOutcome, { kind: "opened" }>;

export class SealedSecretDecrypt implements DecryptStep<SealedSecret, SealedKeys, Opened> {
  readonly kind = "SealedSecret";
  readonly group = "bitnami.com";
  readonly resource = resources.sealedSecret;
  readonly name = "sealedsecret";
  readonly action = "Unseal";
  readonly tracksReleasedNames = true;
  readonly awaitsSecretDeletion = true;
  readonly cachesWithoutCiphertexts = true;
  private readonly keyring: () => Keyring;
  private readonly pool: RsaPool;

  constructor(options: { keyring: () => Keyring; pool: RsaPool }) {
    this.keyring = options.keyring;
    this.pool = options.pool;
  }

  parse(raw: KubeObject, where: string): SealedSecret {
    return parseSealedSecret(raw, where);
  }

  unparsed(raw: KubeObject): SealedSecret {
    const status = raw["status"] as SealedSecret["status"] | undefined;
    return {
      apiVersion: "bitnami.com/v1alpha1",
      kind: "SealedSecret",
      metadata: { ...(raw.metadata ?? {}) },
      spec: { encryptedData: {} },
      ...(status && typeof status === "object" ? { status } : {}),
    };
  }

  view(sealed: SealedSecret): SealedSecret {
    return sealed;
  }

  keys(): Promise<SealedKeys> {
    const ring = this.keyring();
    const keyring = keyringView(ring);
    return Promise.resolve({ ring, keyring, held: new Set(keyring.keys.map((k) => k.fingerprint)) });
  }

  async open(sealed: SealedSecret, keys: SealedKeys): Promise<Decrypted<Opened>> {
    const labels = labelsToTry(sealed);
    const values = Object.entries(sealed.spec.encryptedData);
    if (keys.ring.keys.length === 0) {
      return { opened: { kind: "opened", labels, values: values.map(([name]) => ({ name, ok: false, reason: "NoPrivateKeys", message: "no key loaded" })) } };
    }
    try {
      const result = await this.pool.open({ values, labels: labels.map((l) => l.label), keys: keys.ring.keys.map((k) => k.fingerprint) });
      return { opened: { kind: "opened", labels, values: result.values } };
    } catch (err) {
      // The pool gave up starting workers: nothing decrypts until a restart.
      if (!(err instanceof DecryptWorkerUnavailableError)) throw err;
      return { stopped: { reason: "DecryptWorkerUnavailable", message: err.message } };
    }
  }

  templateValues(opened: Opened): readonly OpenedValue[] {
    return opened.values;
  }

  plan(input: StepPlanInput<SealedSecret, SealedKeys, Opened>): Plan {
    const { obj, secret, outcome, now, nameReleased } = input;
    return planSealed({
      sealed: obj,
      secret,
      outcome: outcome.kind === "current" ? outcome : outcome.opened,
      keyring: input.keys.keyring,
      now,
      nameReleased,
      ...(input.rendered ? { rendered: input.rendered } : {}),
    });
  }
}

export class SealedSecretReconciler extends DecryptedSecretReconciler<SealedSecret, SealedKeys, Opened> {
  constructor(options: SealedSecretReconcilerOptions) {
    super(options, new SealedSecretDecrypt(options));
  }
}
