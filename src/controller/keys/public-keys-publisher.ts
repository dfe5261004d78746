// Keeps the public-keys ConfigMap (public-keys.ts) current: on start (as leader), whenever a keyring
// changes, and every few minutes in case someone edited or deleted it. One GET per check; a write
// only when the content differs. Failures (e.g. RBAC without configmaps create/update) are logged
// with their reason and retried with backoff, never in a tight loop; the rest of the controller is
// unaffected.
import { resources } from "../../api/resources.ts";
import { isConflict, type KubePort } from "../../kube/port.ts";
import type { Logger } from "../../log.ts";
import { errorSummary } from "../controller.ts";
import { publicKeysData, publicKeysWrite, type PublicMaterial } from "./public-keys.ts";

export interface PublicKeysPublisherOptions {
  /** Writes go through the process's (leader-gated) port. */
  kube: KubePort;
  log: Logger;
  namespace: string;
  name: string;
  /** The material to publish now. */
  material: () => Promise<PublicMaterial>;
  /** Re-check this often (default 5 min). */
  resyncMs?: number;
}

const RETRY_MIN_MS = 5_000;
const RETRY_MAX_MS = 5 * 60_000;

export class PublicKeysPublisher {
  private readonly options: PublicKeysPublisherOptions;
  private readonly log: Logger;
  private chain: Promise<void> = Promise.resolve();
  private timer: NodeJS.Timeout | undefined;
  private failures = 0;
  private running = false;
  /** ConfigMap writes made by this process (tests). */
  writes = 0;

  constructor(options: PublicKeysPublisherOptions) {
    this.options = options;
    this.log = options.log.child({ component: "public-keys", namespace: options.namespace, name: options.name });
  }

  /** Publishes now and keeps it current; resolves after the first check. */
  async start(): Promise<void> {
    this.running = true;
    await this.changed();
  }

  /** A keyring changed: check (serialised with any check under way). */
  changed(): Promise<void> {
    if (!this.running) return Promise.resolve();
    this.chain = this.chain.then(() => this.sync());
    return this.chain;
  }

  async stop(): Promise<void> {
    this.running = false;
    if (this.timer) clearTimeout(this.timer);
    await this.chain;
  }

  private arm(ms: number): void {
    if (!this.running) return;
    if (this.timer) clearTimeout(this.timer);
    this.timer = setTimeout(() => void this.changed(), ms);
    this.timer.unref();
  }

  private async sync(): Promise<void> {
    if (!this.running) return;
    const { kube, namespace, name } = this.options;
    try {
      const data = publicKeysData(await this.options.material());
      const existing = await kube.get(resources.configMap, namespace, name);
      const write = publicKeysWrite(existing, { namespace, name }, data);
      if (write.kind === "create") await kube.create(resources.configMap, write.configMap);
      if (write.kind === "replace") await kube.replace(resources.configMap, write.configMap);
      if (write.kind !== "none") {
        this.writes++;
        this.log.info({ entries: Object.keys(data) }, write.kind === "create" ? "public keys ConfigMap created" : "public keys ConfigMap updated");
      }
      this.failures = 0;
      this.arm(this.options.resyncMs ?? 5 * 60_000);
    } catch (err) {
      // A conflict means someone wrote it meanwhile: look again soon.
      this.failures++;
      const wait = Math.min(RETRY_MAX_MS, RETRY_MIN_MS * 2 ** Math.min(this.failures - 1, 10));
      const level = isConflict(err) ? "info" : "warn";
      this.log[level]({ error: errorSummary(err), retryInMs: wait }, "cannot publish the public keys ConfigMap");
      this.arm(wait);
    }
  }
}
