// The AgeSecret's decrypt step for the decrypted-secret reconciler: its values open with the age
// keys, each a master from which the identity for the object's own scope is derived; when some do
// not open, the held keys' scope recipients are computed for the diagnosis (plan.ts).
import { AGE_SECRET_API_VERSION, AGE_SECRET_KIND, parseAgeSecret, type AgeSecret } from "../../api/age-secret.ts";
import { resources } from "../../api/resources.ts";
import type { KubeObject } from "../../kube/port.ts";
import type { AppliedKeys, Decrypted, DecryptStep, StepPlanInput } from "../decrypted-secret/decrypt-step.ts";
import { keyringView, type Plan, type UnsealOutcome } from "../decrypted-secret/plan.ts";
import { DecryptedSecretReconciler, type DecryptedSecretReconcilerOptions } from "../decrypted-secret/reconciler.ts";
import type { AgeKeyring } from "../keys/age-keyring.ts";
import type { OpenedValue } from "../keys/rsa-protocol.ts";
import { heldScopeRecipients, openAgeValues, type HeldRecipient } from "./open.ts";
import { ageLabelsToTry, planAge } from "./plan.ts";

export interface AgeSecretReconcilerOptions extends DecryptedSecretReconcilerOptions {
  keyring: () => AgeKeyring;
}

interface AgeKeys extends AppliedKeys {
  ring: AgeKeyring;
}

interface AgeOpened {
  outcome: Extract<UnsealOutcome, { kind: "opened" }>;
  /** Scope recipients of the held keys, computed only when values failed. */
  held: HeldRecipient[];
}

export class AgeSecretDecrypt implements DecryptStep<AgeSecret, AgeKeys, AgeOpened> {
  readonly kind = AGE_SECRET_KIND;
  readonly group = "sealbridge.dev";
  readonly resource = resources.ageSecret;
  readonly name = "agesecret";
  readonly action = "Unseal";
  readonly tracksReleasedNames = false;
  readonly awaitsSecretDeletion = false;
  readonly cachesWithoutCiphertexts = true;
  private readonly keyring: () => AgeKeyring;

  constructor(options: { keyring: () => AgeKeyring }) {
    this.keyring = options.keyring;
  }

  parse(raw: KubeObject, where: string): AgeSecret {
    return parseAgeSecret(raw, where);
  }

  unparsed(raw: KubeObject): AgeSecret {
    const status = raw["status"] as AgeSecret["status"] | undefined;
    return {
      apiVersion: AGE_SECRET_API_VERSION,
      kind: AGE_SECRET_KIND,
      metadata: { ...(raw.metadata ?? {}) },
      spec: { encryptedData: {} },
      ...(status && typeof status === "object" ? { status } : {}),
    };
  }

  view(age: AgeSecret): AgeSecret {
    return age;
  }

  keys(): Promise<AgeKeys> {
    const ring = this.keyring();
    const keyring = keyringView(ring);
    return Promise.resolve({ ring, keyring, held: new Set(keyring.keys.map((k) => k.fingerprint)) });
  }

  async open(age: AgeSecret, keys: AgeKeys): Promise<Decrypted<AgeOpened>> {
    const labels = ageLabelsToTry(age);
    const values = Object.entries(age.spec.encryptedData);
    const ring = keys.ring;
    const opened =
      ring.keys.length === 0
        ? values.map(([name]) => ({ name, ok: false as const, reason: "NoPrivateKeys", message: "no age key loaded" }))
        : await openAgeValues({ values, keys: ring.keys, labels });
    const held = opened.some((v) => !v.ok) && ring.keys.length > 0 ? await heldScopeRecipients(ring.keys, labels) : [];
    return { opened: { outcome: { kind: "opened", labels, values: opened }, held } };
  }

  templateValues(opened: AgeOpened): readonly OpenedValue[] {
    return opened.outcome.values;
  }

  plan(input: StepPlanInput<AgeSecret, AgeKeys, AgeOpened>): Plan {
    const { obj, secret, outcome, now } = input;
    const opened = outcome.kind === "opened" ? outcome.opened : undefined;
    return planAge({
      age: obj,
      secret,
      outcome: outcome.kind === "current" ? outcome : outcome.opened.outcome,
      keyring: input.keys.keyring,
      held: opened ? opened.held : [],
      now,
      ...(input.rendered ? { rendered: input.rendered } : {}),
    });
  }
}

export class AgeSecretReconciler extends DecryptedSecretReconciler<AgeSecret, AgeKeys, AgeOpened> {
  constructor(options: AgeSecretReconcilerOptions) {
    super(options, new AgeSecretDecrypt(options));
  }
}
