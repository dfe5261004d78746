// The sealing-key lifecycle: watches the key Secrets, keeps the keyring current without restarts,
// mints a key on first start, every renewal period and on request, and never deletes a key. A key
// Secret deleted by someone else stays loaded (for decryption and as the sealing key) until the
// process restarts, with a Warning Event and a metric naming it, unless it was marked retired first.
// With leader election every replica loads the keys (to serve /v1/cert.pem and decrypt), but only
// the one allowed to mint (the leader) writes key Secrets; the others read what it writes.
import { resources } from "../../api/resources.ts";
import { generateSealingKeyPair } from "../../crypto/certificate.ts";
import type { Logger } from "../../log.ts";
import type { Informer, InformerSource } from "../../kube/manager.ts";
import type { KubeObject, KubePort } from "../../kube/port.ts";
import { errorSummary } from "../controller.ts";
import { recordEvent } from "../events.ts";
import {
  EMPTY_KEYRING,
  KEY_STATUS_ANNOTATION,
  KEY_STATUS_RETIRED,
  MINTED_AT_ANNOTATION,
  ROTATE_NOW_ANNOTATION,
  SEALING_KEY_ACTIVE,
  SEALING_KEY_LABEL,
  buildKeyring,
  renewalDecision,
  sealingKey,
  type AnyKeyring,
  type Keyring,
} from "./keyring.ts";

/**
 * What differs between kinds of sealing keys (RSA certificates, age identities): which Secrets hold
 * them, how they are read, and how a new one is made. The lifecycle below is the same for all.
 */
export interface KeyFormat<R extends AnyKeyring> {
  /** Label key selecting the key Secrets; new keys get the value "active". */
  label: string;
  empty: R;
  build(secrets: readonly KubeObject[]): R;
  /** Async work build() relies on (e.g. deriving public keys), run before each build. */
  prepare?(secrets: readonly KubeObject[]): Promise<void>;
  /** A new key Secret's type and data, and fields safe to log (never the key). */
  mint(now: Date): Promise<{ type: string; data: Record<string, string>; log: Record<string, unknown> }>;
}

/** Sealed Secrets' RSA keys: TLS Secrets with tls.key and a self-signed tls.crt. */
export function rsaKeyFormat(bits: number): KeyFormat<Keyring> {
  return {
    label: SEALING_KEY_LABEL,
    empty: EMPTY_KEYRING,
    build: buildKeyring,
    async mint(now) {
      const pair = await generateSealingKeyPair({ now, bits });
      return {
        type: "kubernetes.io/tls",
        data: {
          "tls.key": Buffer.from(pair.privateKeyPem).toString("base64"),
          "tls.crt": Buffer.from(pair.certificatePem).toString("base64"),
        },
        log: { fingerprint: pair.fingerprint, bits },
      };
    },
  };
}

export interface KeyManagerOptions {
  kube: KubePort;
  /** The shared cache the key Secrets are watched through. */
  cache: InformerSource;
  log: Logger;
  namespace: string;
  /** Key Secret name prefix; the API server adds a random suffix (generateName). */
  prefix: string;
  bits: number;
  /** 0 disables periodic renewal. */
  renewPeriodMs: number;
  /** Whether this process may write key Secrets from the start (default true); see allowMinting. */
  mayMint?: boolean;
  now?: () => Date;
}

export interface FormatKeyManagerOptions<R extends AnyKeyring> extends Omit<KeyManagerOptions, "bits"> {
  format: KeyFormat<R>;
}

const MAX_TIMER_MS = 2 ** 31 - 1;

export class KeyManager<R extends AnyKeyring = Keyring> {
  private readonly options: Omit<KeyManagerOptions, "bits">;
  private readonly format: KeyFormat<R>;
  private readonly log: Logger;
  private readonly now: () => Date;
  private informer: Informer | undefined;
  private current: R;
  private signature = "";
  private readonly listeners: ((keyring: R) => void)[] = [];
  /** Key Secrets we created that the watch has not delivered yet. */
  private readonly created = new Map<string, KubeObject>();
  /** Key Secrets deleted without being retired: still loaded, by name, until they come back. */
  private readonly deleted = new Map<string, KubeObject>();
  /** rotate-now requests already honoured, by uid and resourceVersion. */
  private readonly handled = new Set<string>();
  private chain: Promise<void> = Promise.resolve();
  private timer: NodeJS.Timeout | undefined;
  private stopped = false;
  private mayMint: boolean;
  /** Keys minted by this process (tests and metrics). */
  minted = 0;

  constructor(options: KeyManagerOptions | FormatKeyManagerOptions<R>) {
    this.options = options;
    // Without a format it manages Sealed Secrets' RSA keys (R is then Keyring).
    this.format = "format" in options ? options.format : (rsaKeyFormat(options.bits) as unknown as KeyFormat<R>);
    this.current = this.format.empty;
    this.log = options.log.child({ component: "keys", namespace: options.namespace, label: this.format.label });
    this.now = options.now ?? (() => new Date());
    this.mayMint = options.mayMint ?? true;
  }

  /**
   * Follows leadership: once allowed, the next refresh mints what is due (first key, renewal,
   * rotate-now) and resolves when done; once disallowed, nothing more is written.
   */
  async allowMinting(allowed: boolean): Promise<void> {
    if (allowed === this.mayMint) return;
    this.mayMint = allowed;
    if (!allowed) {
      if (this.timer) clearTimeout(this.timer);
      this.timer = undefined;
      return;
    }
    if (this.informer) await this.schedule();
  }

  get keyring(): R {
    return this.current;
  }

  /** The key new values are sealed to. */
  get sealingKey(): R["keys"][number] | undefined {
    return sealingKey(this.current);
  }

  onChange(listener: (keyring: R) => void): void {
    this.listeners.push(listener);
  }

  /** Resolves once the keys are loaded and, if minting is allowed and none was usable, a first key exists. */
  async start(): Promise<void> {
    const kick = () => void this.schedule();
    this.informer = this.options.cache.informer(
      resources.secret,
      { namespace: this.options.namespace, labelSelector: this.format.label },
      {
        onAdd: kick,
        onUpdate: kick,
        onDelete: (secret) => {
          this.keepDeleted(secret);
          kick();
        },
        onError: (err: unknown) => this.log.warn({ error: errorSummary(err) }, "watch of key Secrets failed; reconnecting"),
      },
    );
    await this.informer.start();
    await this.schedule();
  }

  async stop(): Promise<void> {
    this.stopped = true;
    if (this.timer) clearTimeout(this.timer);
    await this.informer?.stop();
    await this.chain.catch(() => undefined);
  }

  /** Serialises refreshes so two never mint at once. */
  private schedule(): Promise<void> {
    this.chain = this.chain.then(() => this.refresh()).catch((err: unknown) => {
      this.log.error({ error: errorSummary(err) }, "sealing key refresh failed; retrying in 10s");
      this.arm(10_000);
    });
    return this.chain;
  }

  /** Key Secrets deleted without being retired whose keys are still loaded (metrics, status). */
  deletedKeys(): { name: string; fingerprint: string }[] {
    const held = new Set([...this.deleted.keys()]);
    return this.current.keys.filter((k) => held.has(k.name)).map((k) => ({ name: k.name, fingerprint: k.fingerprint }));
  }

  private secrets(): KubeObject[] {
    const listed = this.informer?.list(this.options.namespace) ?? [];
    const names = new Set(listed.map((s) => s.metadata?.name));
    for (const name of names) {
      if (name === undefined) continue;
      this.created.delete(name);
      this.deleted.delete(name);
    }
    return [...listed, ...this.created.values(), ...this.deleted.values()];
  }

  /**
   * A key Secret left the cluster. Unless it was marked retired first, its key stays loaded: the
   * SealedSecrets sealed to it keep opening and no key is minted to replace it (renewal still
   * applies). Said loudly, since a restart would drop it.
   */
  private keepDeleted(secret: KubeObject): void {
    const name = secret.metadata?.name;
    if (name === undefined) return;
    this.created.delete(name);
    const key = this.current.keys.find((k) => k.name === name);
    if (key === undefined) return;
    if (secret.metadata?.annotations?.[KEY_STATUS_ANNOTATION] === KEY_STATUS_RETIRED) {
      this.log.info({ name, fingerprint: key.fingerprint }, "retired key Secret deleted; its key is no longer loaded");
      return;
    }
    this.deleted.set(name, secret);
    this.log.warn(
      { name, fingerprint: key.fingerprint },
      `key Secret deleted without being retired; the key stays loaded until restart. Restore the Secret from backup, or annotate ${KEY_STATUS_ANNOTATION}=${KEY_STATUS_RETIRED} before deleting a key on purpose`,
    );
    if (!this.mayMint) return;
    void recordEvent({
      kube: this.options.kube,
      log: this.log,
      regarding: { ...secret, apiVersion: "v1", kind: "Secret" },
      event: {
        type: "Warning",
        reason: "SealingKeyDeleted",
        message: `sealing key Secret ${name} (certificate sha256 ${key.fingerprint}) was deleted without being retired; its key stays loaded in memory until the controller restarts: restore the Secret from backup`,
      },
      action: "KeepKey",
      now: this.now(),
    });
  }

  private load(): void {
    const secrets = this.secrets();
    const keyring = this.format.build(secrets);
    const signature = JSON.stringify([keyring.keys.map((k) => [k.name, k.fingerprint, k.compromised]), keyring.problems]);
    this.current = keyring;
    if (signature === this.signature) return;
    this.signature = signature;
    this.log.info(
      {
        keys: keyring.keys.map((k) => ({ name: k.name, fingerprint: k.fingerprint, compromised: k.compromised })),
        problems: keyring.problems,
      },
      "sealing keys loaded",
    );
    for (const listener of this.listeners) listener(keyring);
  }

  private async refresh(): Promise<void> {
    if (this.stopped) return;
    await this.format.prepare?.(this.secrets());
    this.load();
    // A replica that is not the leader only reads: the leader's writes reach it through the watch.
    if (!this.mayMint) return;
    const requests = this.secrets().filter((s) => s.metadata?.annotations?.[ROTATE_NOW_ANNOTATION] !== undefined && !this.handled.has(requestId(s)));
    const decision = renewalDecision({
      keyring: this.current,
      now: this.now(),
      renewPeriodMs: this.options.renewPeriodMs,
      rotateRequested: requests.length > 0,
    });
    if (decision.mint) {
      await this.mint(decision.why);
      for (const s of requests) {
        this.handled.add(requestId(s));
        const name = s.metadata?.name;
        if (name === undefined) continue;
        try {
          await this.options.kube.patch(resources.secret, this.options.namespace, name, { metadata: { annotations: { [ROTATE_NOW_ANNOTATION]: null } } }, "merge");
        } catch (err) {
          this.log.warn({ name, error: errorSummary(err) }, "could not clear the rotate-now annotation");
        }
      }
      this.load();
      const next = renewalDecision({ keyring: this.current, now: this.now(), renewPeriodMs: this.options.renewPeriodMs, rotateRequested: false });
      if (!next.mint && next.checkAgainInMs !== undefined) this.arm(next.checkAgainInMs);
    } else if (decision.checkAgainInMs !== undefined) {
      this.arm(decision.checkAgainInMs);
    }
  }

  private arm(ms: number): void {
    if (this.stopped) return;
    if (this.timer) clearTimeout(this.timer);
    this.timer = setTimeout(() => void this.schedule(), Math.min(Math.max(ms, 1000), MAX_TIMER_MS));
    this.timer.unref();
  }

  private async mint(why: string): Promise<void> {
    if (!this.mayMint) return;
    const started = Date.now();
    const key = await this.format.mint(this.now());
    const created = await this.options.kube.create(resources.secret, {
      apiVersion: "v1",
      kind: "Secret",
      metadata: {
        generateName: this.options.prefix,
        namespace: this.options.namespace,
        labels: { [this.format.label]: SEALING_KEY_ACTIVE },
        annotations: { [MINTED_AT_ANNOTATION]: this.now().toISOString() },
      },
      type: key.type,
      data: key.data,
    });
    const name = created.metadata?.name ?? "";
    this.created.set(name, created);
    this.minted++;
    this.log.info({ name, ...key.log, why, ms: Date.now() - started }, "new sealing key written");
  }
}

function requestId(secret: KubeObject): string {
  return `${secret.metadata?.uid ?? ""}:${secret.metadata?.resourceVersion ?? ""}`;
}
