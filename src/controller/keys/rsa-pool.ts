// A pool of worker threads for RSA private-key work, so a batch of decrypts uses every core and the
// event loop (watches, HTTP, probes) never waits on OpenSSL.
//
// A worker that dies is replaced, with a doubling delay while deaths come in a row. A worker that
// cannot start at all (its module missing from the build, a load-time throw) would otherwise be
// respawned forever at full CPU while every SealedSecret silently retries: after `maxFailures`
// failures in a row the pool gives up, logs one error line with the reason, and every open()
// rejects with DecryptWorkerUnavailableError, which the reconciler writes as a condition.
import { Worker } from "node:worker_threads";
import type { Logger } from "../../log.ts";
import { cpusAvailable } from "../../runtime/cpus.ts";
import { siblingModule } from "../../runtime/sibling-module.ts";
import type { Keyring } from "./keyring.ts";
import type { FromWorker, OpenRequest, OpenResult, ToWorker, WorkerKey } from "./rsa-protocol.ts";

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
  /** Worker threads (default: the CPUs this process may use, cgroup quota included). */
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
    for (const slot of this.slots) if (slot) this.post(slot.worker, { type: "keys", keys: this.keys });
  }

  open(request: OpenRequest): Promise<OpenResult> {
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
