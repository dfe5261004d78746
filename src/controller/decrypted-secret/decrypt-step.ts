// What a kind brings to the decrypted-secret reconciler (reconciler.ts): how to parse its objects,
// which keys or identities apply to one, how to open its values, its diagnosis of values that do not
// open (inside `plan`), and its names for logs, events and metrics. Everything else (the cache reads,
// the skip when nothing changed, template rendering, the Secret, status, events and stats) is shared.
import type { KubeObject, Resource } from "../../kube/port.ts";
import type { ReconcileContext } from "../controller.ts";
import type { OpenedValue } from "../keys/rsa-protocol.ts";
import type { ObjectKey } from "../object-key.ts";
import type { SealedLike, SyncedReason } from "./conditions.ts";
import type { KeyringView, Plan, RenderedTemplates } from "./plan.ts";

/** The keys that apply to one object, as the fast path and the plan see them. */
export interface AppliedKeys {
  /** What the plan sees of them (fingerprints, names, compromised ones, unusable key Secrets). */
  keyring: KeyringView;
  /** The key fingerprints the fast path accepts in status.secret.keys (keys still held). */
  held: ReadonlySet<string>;
  /** Inputs of the Secret besides the object (see sourceHash), e.g. a SopsSecret's identity Secret versions. */
  extra?: unknown;
}

/** What opening the values gave, or why nothing can open them now (a condition, not a retry). */
export type Decrypted<O> =
  /** `keyring`: the keys as the plan should see them after opening, when they differ from AppliedKeys'. */
  | { opened: O; keyring?: KeyringView }
  | { stopped: { reason: SyncedReason; message: string } };

export interface StepPlanInput<T, K extends AppliedKeys, O> {
  obj: T;
  /** The existing Secret: metadata only on the fast path, read with its data after opening. */
  secret: KubeObject | undefined;
  keys: K;
  /**
   * current: status records that the Secret was made from exactly this input with `keys` (nothing
   * opened; also when a released name means nothing is written). opened: what `open` gave.
   */
  outcome: { kind: "current"; keys: readonly string[] } | { kind: "opened"; opened: O; keyring: KeyringView };
  now: Date;
  /** spec.template.data rendered off the event loop (when the step gives templateValues). */
  rendered?: RenderedTemplates;
  /** See PlanInput.nameReleased (only for steps that track released names). */
  nameReleased: boolean;
}

export interface DecryptStep<T, K extends AppliedKeys, O> {
  /** The kind, as in "SealedSecret ns/name" and owner references. */
  readonly kind: string;
  /** Its API group, for owner references of its Secrets. */
  readonly group: string;
  readonly resource: Resource;
  /** The reconciler's name: queue, logs and metrics labels. */
  readonly name: string;
  /** The action its events record ("Unseal", "Decrypt"). */
  readonly action: string;
  /**
   * Sealed Secrets' rule for a name held by a Secret the object may not own and then released
   * (released-names.ts): no Secret is created in its place.
   */
  readonly tracksReleasedNames: boolean;
  /**
   * When the cached Secret is gone on reading it, look again (a few short requeues) until the cache
   * has the deletion, instead of deciding from a half-updated view (whose Secret it was decides
   * whether one is created in its place).
   */
  readonly awaitsSecretDeletion: boolean;
  /**
   * Its source hash depends on the object alone (no `extra`), so a cached object whose status records
   * its exact input may drop its ciphertexts (elided-ciphertexts.ts); read whole when they are needed.
   * Only for kinds whose values are the raw object's `spec.encryptedData` entries.
   */
  readonly cachesWithoutCiphertexts?: boolean;

  /** The object, parsed; throws ManifestError when it is not a valid manifest. */
  parse(raw: KubeObject, where: string): T;
  /** A stand-in for an object that did not parse, enough to write its status. */
  unparsed(raw: KubeObject): SealedLike;
  /** What hashes, ownership rules, status and events see of the object. */
  view(obj: T): SealedLike;
  /** The keys or identities that apply to this object (before deciding whether to open anything). */
  keys(obj: T, key: ObjectKey, ctx: ReconcileContext): Promise<K>;
  /** Opens the values: only when status does not record this exact input as current. */
  open(obj: T, keys: K, key: ObjectKey): Promise<Decrypted<O>>;
  /** The opened values to render spec.template.data from off the event loop; without it the plan renders. */
  templateValues?(opened: O): readonly OpenedValue[];
  /** The kind's decision (the shared plan with its own diagnosis), pure. */
  plan(input: StepPlanInput<T, K, O>): Plan;
  /** The object as status and events see it after opening, when that differs from view(obj). */
  viewOpened?(obj: T, opened: O): SealedLike;
  /** Other objects of this kind a change of this Secret must re-queue (besides its owner). */
  dependentsOf?(secret: KubeObject): readonly string[];
  /** Forgets what the step learnt about an object that is gone. */
  forget?(key: string): void;
}
