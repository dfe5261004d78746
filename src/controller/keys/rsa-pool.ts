// A pool of worker threads for RSA private-key work, so a batch of decrypts uses every core and the
// event loop (watches, HTTP, probes) never waits on OpenSSL.
import { availableParallelism } from "node:os";
import { Worker } from "node:worker_threads";
import type { Keyring } from "./keyring.ts";
import type { FromWorker, OpenRequest, OpenResult, ToWorker, WorkerKey } from "./rsa-protocol.ts";

interface Slot {
  worker: Worker;
  pending: Map<number, { resolve: (r: OpenResult) => void; reject: (e: Error) => void }>;
}

export class RsaPool {
  private readonly slots: Slot[] = [];
  private nextId = 1;
  private keys: WorkerKey[] = [];
  private closed = false;
  /** RSA private-key operations done since start (for tests, metrics and the benchmark). */
  rsaOps = 0;

  constructor(size = availableParallelism()) {
    for (let i = 0; i < Math.max(1, size); i++) this.slots.push(this.spawn());
  }

  private spawn(): Slot {
    const worker = new Worker(new URL("./rsa-worker.ts", import.meta.url));
    worker.unref();
    const slot: Slot = { worker, pending: new Map() };
    worker.on("message", (reply: FromWorker) => {
      const waiter = slot.pending.get(reply.id);
      if (!waiter) return;
      slot.pending.delete(reply.id);
      if ("error" in reply) waiter.reject(new Error(reply.error));
      else {
        this.rsaOps += reply.result.rsaOps;
        waiter.resolve(reply.result);
      }
    });
    worker.on("error", (err: Error) => this.fail(slot, err));
    worker.on("exit", () => {
      if (this.closed) return;
      this.fail(slot, new Error("RSA worker exited"));
      const index = this.slots.indexOf(slot);
      if (index >= 0) {
        const replacement = this.spawn();
        this.post(replacement, { type: "keys", keys: this.keys });
        this.slots[index] = replacement;
      }
    });
    return slot;
  }

  private fail(slot: Slot, err: Error): void {
    for (const waiter of slot.pending.values()) waiter.reject(err);
    slot.pending.clear();
  }

  private post(slot: Slot, message: ToWorker): void {
    slot.worker.postMessage(message);
  }

  /** Sends the current keys to every worker (messages are ordered, so later opens see them). */
  setKeys(keyring: Keyring): void {
    this.keys = keyring.keys.map((k) => ({ fingerprint: k.fingerprint, privateKeyPem: k.privateKeyPem }));
    for (const slot of this.slots) this.post(slot, { type: "keys", keys: this.keys });
  }

  open(request: OpenRequest): Promise<OpenResult> {
    if (this.closed) return Promise.reject(new Error("RSA pool is closed"));
    const slot = this.slots.reduce((best, s) => (s.pending.size < best.pending.size ? s : best));
    const id = this.nextId++;
    return new Promise((resolve, reject) => {
      slot.pending.set(id, { resolve, reject });
      if (slot.pending.size === 1) slot.worker.ref();
      this.post(slot, { type: "open", id, request });
    }).finally(() => {
      if (slot.pending.size === 0) slot.worker.unref();
    }) as Promise<OpenResult>;
  }

  async close(): Promise<void> {
    this.closed = true;
    await Promise.all(this.slots.map((s) => s.worker.terminate()));
  }
}
