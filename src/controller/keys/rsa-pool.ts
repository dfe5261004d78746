// RSA private-key work off the event loop, on every core. Values that open take the thread-pool path:
// WebCrypto's RSA-OAEP runs on libuv's threads, `size` at a time, with no isolate to keep. A request
// with a value that does not open goes, whole, to a pool of worker threads, which opens it again and
// diagnoses the failure (OAEP structure, other labels: raw RSA, which only node:crypto's synchronous
// calls do). The workers start only then, and stop when idle.
//
// A worker that dies is replaced, with a doubling delay while deaths come in a row. A worker that
// cannot start at all (its module missing from the build, a load-time throw) would otherwise be
// respawned forever at full CPU while every SealedSecret silently retries: after `maxFailures`
// failures in a row the pool gives up, logs one error line with the reason, and every open()
// rejects with DecryptWorkerUnavailableError, which the reconciler writes as a condition.
import { createPrivateKey } from "node:crypto";
import { Worker } from "node:worker_threads";
import { decodeBase64Strict, hybridDecryptOnThreadPool, threadPoolRsaKey, type ThreadPoolRsaKey } from "../../crypto/sealed.ts";
import type { Logger } from "../../log.ts";
import { cpusAvailable } from "../../runtime/cpus.ts";
import { siblingModule } from "../../runtime/sibling-module.ts";
import type { Keyring } from "./keyring.ts";
import type { FromWorker, OpenedValue, OpenRequest, OpenResult, ToWorker, WorkerKey } from "./rsa-protocol.ts";

export const DECRYPT_WORKER_UNAVAILABLE = "DecryptWorkerUnavailable";

/** Heap bounds of an RSA worker (MiB): the keys, one request and its answer at a time. */
const WORKER_LIMITS = { maxYoungGenerationSizeMb: 4, maxOldGenerationSizeMb: 128 };

/** The pool has given up starting workers: nothing can be decrypted until the process restarts. */
export class DecryptWorkerUnavailableError extends Error {
  override readonly name = "DecryptWorkerUnavailableError";
  readonly reason = DECRYPT_WORKER_UNAVAILABLE;
  /** Retrying cannot help: the pool no longer spawns workers. */
  readonly retryable = false;
}

/** The worker holding an open died; another is being started, so a retry may succeed. */
export class DecryptWorkerStoppedError extends Error {
  override readonly name = "DecryptWorkerStoppedError";
  readonly reason = "DecryptWorkerStopped";
  readonly retryable = true;
}

export interface RsaPoolOptions {
  /**
   * RSA operations at once on the thread pool, and worker threads (default: the CPUs this process
   * may use, cgroup quota included).
   */
  size?: number;
  log?: Logger;
  /** The worker module (default: rsa-worker next to this module, .ts or .js as this one). */
  workerFile?: URL;
  /** Worker failures in a row after which the pool gives up (default 5). */
  maxFailures?: number;
  /** Delay before the first respawn; doubles with each failure in a row (default 200 ms). */
  respawnDelayMs?: number;
  /** A worker that ran this long before dying starts a new count of failures (default 10 s). */
  stableAfterMs?: number;
  /**
   * Workers start with the first open() and stop after this long without work (default 30 s):
   * an idle controller holds no worker isolates (each costs ~25 MiB resident).
   */
  idleMs?: number;
}

interface Job {
  id: number;
  request: OpenRequest;
  resolve: (r: OpenResult) => void;
  reject: (e: Error) => void;
}

interface Slot {
  worker: Worker;
  pending: Map<number, Job>;
  /** When the worker reported its module loaded. */
  readyAt?: number;
  lastError?: Error;
}

export class RsaPool {
  readonly size: number;
  private readonly slots: (Slot | undefined)[];
  private readonly workerFile: URL;
  private readonly log: Logger | undefined;
  private readonly maxFailures: number;
  private readonly respawnDelayMs: number;
  private readonly stableAfterMs: number;
  private readonly respawns = new Set<NodeJS.Timeout>();
  /** Opens that arrived while every slot waited for a respawn. */
  private backlog: Job[] = [];
  private nextId = 1;
  private keys: WorkerKey[] = [];
  /** The same keys for the thread-pool path, by fingerprint. */
  private threadPoolKeys = new Map<string, ThreadPoolRsaKey>();
  /** RSA operations running on the thread pool, and opens waiting for one of the `size` places. */
  private running = 0;
  private readonly waiting: (() => void)[] = [];
  private failuresInRow = 0;
  private closed = false;
  private started = false;
  private readonly idleMs: number;
  private idleTimer: NodeJS.Timeout | undefined;
  private unavailableError: DecryptWorkerUnavailableError | undefined;
  /** Workers started since the pool was made, respawns included (for tests and diagnostics). */
  spawns = 0;
  /** RSA private-key operations done since start (for tests, metrics and the benchmark). */
  rsaOps = 0;

  constructor(options: RsaPoolOptions = {}) {
    this.size = Math.max(1, options.size ?? cpusAvailable());
    this.workerFile = options.workerFile ?? siblingModule(import.meta.url, "./rsa-worker");
    this.log = options.log;
    this.maxFailures = Math.max(1, options.maxFailures ?? 5);
    this.respawnDelayMs = options.respawnDelayMs ?? 200;
    this.stableAfterMs = options.stableAfterMs ?? 10_000;
    this.idleMs = options.idleMs ?? 30_000;
    this.slots = Array.from({ length: this.size }, () => undefined);
  }

  /** Live workers (0 while idle). */
  get workers(): number {
    return this.slots.filter((s) => s !== undefined).length;
  }

  private ensureStarted(): void {
    if (this.idleTimer) {
      clearTimeout(this.idleTimer);
      this.idleTimer = undefined;
    }
    if (this.started) return;
    this.started = true;
    for (let i = 0; i < this.size; i++) this.spawn(i);
  }

  /** Once no work is pending, stop the workers after idleMs (they start again on demand). */
  private settle(): void {
    if (this.closed || !this.started || this.idleTimer || this.backlog.length > 0) return;
    if (this.slots.some((s) => s !== undefined && s.pending.size > 0)) return;
    this.idleTimer = setTimeout(() => {
      this.idleTimer = undefined;
      if (this.backlog.length > 0 || this.slots.some((s) => s !== undefined && s.pending.size > 0)) return;
      this.started = false;
      for (const [i, slot] of this.slots.entries()) {
        if (!slot) continue;
        this.slots[i] = undefined; // before terminate: the exit is not a failure
        void slot.worker.terminate();
      }
    }, this.idleMs);
    this.idleTimer.unref();
  }

  /** Set once the pool has given up starting workers. */
  get unavailable(): DecryptWorkerUnavailableError | undefined {
    return this.unavailableError;
  }

  private spawn(index: number): void {
    this.spawns++;
    let worker: Worker;
    try {
      // OpenSSL does the work; the worker's own JavaScript allocates little. Left to V8's defaults
      // its young generation grows to tens of MiB under a burst of opens, per worker.
      worker = new Worker(this.workerFile, { resourceLimits: WORKER_LIMITS });
    } catch (err) {
      this.failed(index, undefined, err instanceof Error ? err : new Error(String(err)), null);
      return;
    }
    worker.unref();
    const slot: Slot = { worker, pending: new Map() };
    this.slots[index] = slot;
    worker.on("message", (reply: FromWorker) => {
      if ("type" in reply) {
        slot.readyAt = Date.now();
        return;
      }
      const job = slot.pending.get(reply.id);
      if (!job) return;
      slot.pending.delete(reply.id);
      if (slot.pending.size === 0) worker.unref();
      if ("error" in reply) job.reject(new Error(reply.error));
      else {
        this.failuresInRow = 0;
        this.rsaOps += reply.result.rsaOps;
        job.resolve(reply.result);
      }
      this.settle();
    });
    worker.on("error", (err: Error) => (slot.lastError = err));
    worker.on("exit", (code: number) => {
      if (this.closed || this.slots[index] !== slot) return;
      this.slots[index] = undefined;
      this.failed(index, slot, slot.lastError, code);
    });
    if (this.keys.length > 0) this.post(worker, { type: "keys", keys: this.keys });
    for (const job of this.backlog.splice(0)) this.dispatch(slot, job);
  }

  /** A worker died (or could not be made): reject its work, then respawn later or give up. */
  private failed(index: number, slot: Slot | undefined, error: Error | undefined, code: number | null): void {
    const ranStably = slot?.readyAt !== undefined && Date.now() - slot.readyAt >= this.stableAfterMs;
    this.failuresInRow = ranStably ? 1 : this.failuresInRow + 1;
    const why = describe(error, code, slot !== undefined && slot.readyAt === undefined);
    if (this.failuresInRow >= this.maxFailures) {
      this.giveUp(why, slot);
      return;
    }
    const lost = new DecryptWorkerStoppedError(`RSA worker stopped: ${why}`);
    for (const job of slot?.pending.values() ?? []) job.reject(lost);
    const delay = this.respawnDelayMs * 2 ** (this.failuresInRow - 1);
    // One line per run of failures; a run that ends in giving up adds the error line.
    if (this.failuresInRow === 1) this.log?.warn({ error: why, respawnInMs: delay }, "RSA worker stopped; starting another");
    const timer = setTimeout(() => {
      this.respawns.delete(timer);
      if (!this.closed && !this.unavailableError && this.started) this.spawn(index);
    }, delay);
    this.respawns.add(timer);
  }

  private giveUp(why: string, slot: Slot | undefined): void {
    const error = new DecryptWorkerUnavailableError(`the RSA decrypt worker cannot start (${this.failuresInRow} failures in a row): ${why}`);
    this.unavailableError = error;
    this.log?.error({ reason: error.reason, error: error.message, workerFile: this.workerFile.pathname }, "RSA worker pool gave up; nothing can be unsealed until the process restarts");
    for (const timer of this.respawns) clearTimeout(timer);
    this.respawns.clear();
    for (const job of slot?.pending.values() ?? []) job.reject(error);
    for (const job of this.backlog.splice(0)) job.reject(error);
    for (const [i, live] of this.slots.entries()) {
      if (!live) continue;
      this.slots[i] = undefined;
      for (const job of live.pending.values()) job.reject(error);
      void live.worker.terminate();
    }
  }

  private post(worker: Worker, message: ToWorker): void {
    worker.postMessage(message);
  }

  private dispatch(slot: Slot, job: Job): void {
    slot.pending.set(job.id, job);
    if (slot.pending.size === 1) slot.worker.ref();
    this.post(slot.worker, { type: "open", id: job.id, request: job.request });
  }

  /** Sends the current keys to every worker (messages are ordered, so later opens see them). */
  setKeys(keyring: Keyring): void {
    this.keys = keyring.keys.map((k) => ({ fingerprint: k.fingerprint, privateKeyPem: k.privateKeyPem }));
    this.threadPoolKeys = new Map();
    for (const k of this.keys) {
      // As in the worker: a key that does not parse is left out (its values report NoKeyCouldDecrypt).
      try {
        this.threadPoolKeys.set(k.fingerprint, threadPoolRsaKey(createPrivateKey(k.privateKeyPem)));
      } catch {
        continue;
      }
    }
    for (const slot of this.slots) if (slot) this.post(slot.worker, { type: "keys", keys: this.keys });
  }

  async open(request: OpenRequest): Promise<OpenResult> {
    if (this.closed) throw new Error("RSA pool is closed");
    const opened = await this.openOnThreadPool(request);
    return opened ?? (await this.openInWorker(request));
  }

  /** Every value opened with the object's own label, or undefined (the workers then say why). */
  private async openOnThreadPool(request: OpenRequest): Promise<OpenResult | undefined> {
    const keys = request.keys.flatMap((fingerprint) => {
      const key = this.threadPoolKeys.get(fingerprint);
      return key ? [{ fingerprint, key }] : [];
    });
    if (keys.length === 0 || request.values.length === 0) return undefined;
    const label = new TextEncoder().encode(request.labels[0] ?? "");
    const values: OpenedValue[] = [];
    let rsaOps = 0;
    try {
      for (const [name, value] of request.values) {
        let ciphertext: Uint8Array;
        try {
          ciphertext = decodeBase64Strict(value);
        } catch {
          return undefined;
        }
        await this.place();
        let result: Awaited<ReturnType<typeof hybridDecryptOnThreadPool>>;
        try {
          result = await hybridDecryptOnThreadPool(keys.map((k) => k.key), label, ciphertext);
        } finally {
          this.leave();
        }
        rsaOps += result.rsaOps;
        const fingerprint = result.opened && keys[result.opened.keyIndex]?.fingerprint;
        if (!result.opened || fingerprint === undefined) return undefined;
        values.push({ name, ok: true, plaintext: result.opened.plaintext, fingerprint });
      }
      return { values, rsaOps };
    } finally {
      this.rsaOps += rsaOps;
    }
  }

  private async place(): Promise<void> {
    if (this.running < this.size) {
      this.running++;
      return;
    }
    await new Promise<void>((resolve) => this.waiting.push(resolve));
  }

  private leave(): void {
    const next = this.waiting.shift();
    if (next) next(); // the place passes to the next open
    else this.running--;
  }

  private openInWorker(request: OpenRequest): Promise<OpenResult> {
    if (this.closed) return Promise.reject(new Error("RSA pool is closed"));
    if (this.unavailableError) return Promise.reject(this.unavailableError);
    this.ensureStarted();
    return new Promise<OpenResult>((resolve, reject) => {
      const job: Job = { id: this.nextId++, request, resolve, reject };
      let best: Slot | undefined;
      for (const slot of this.slots) if (slot && (!best || slot.pending.size < best.pending.size)) best = slot;
      if (best) this.dispatch(best, job);
      else this.backlog.push(job);
    });
  }

  async close(): Promise<void> {
    this.closed = true;
    if (this.idleTimer) clearTimeout(this.idleTimer);
    for (const timer of this.respawns) clearTimeout(timer);
    this.respawns.clear();
    const closed = new Error("RSA pool is closed");
    for (const job of this.backlog.splice(0)) job.reject(closed);
    const live = this.slots.filter((s): s is Slot => s !== undefined);
    for (const slot of live) for (const job of slot.pending.values()) job.reject(closed);
    await Promise.all(live.map((s) => s.worker.terminate()));
  }
}

/** Why a worker stopped, for logs and the condition: error class, code and first message line. */
function describe(error: Error | undefined, code: number | null, beforeReady: boolean): string {
  const when = beforeReady ? " before it was ready" : "";
  if (!error) return `exited with code ${code ?? "unknown"}${when}`;
  const errCode = (error as { code?: unknown }).code;
  const first = error.message.split("\n")[0] ?? "";
  return `${error.name}${typeof errCode === "string" ? ` ${errCode}` : ""}${when}: ${first}`;
}
