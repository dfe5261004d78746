// Renders templates on a worker thread with a deadline and a memory ceiling. A template is user
// input: thirty `genPrivateKey` calls, a range over a huge list or a giant string must not stall the
// event loop (probes, every other object) nor grow the controller's heap. One render at a time on
// one lazily started thread; a render past its deadline or its memory ends the thread (the next
// render starts a new one) and fails with a reason. The thread stops after a while without work.
import { Worker } from "node:worker_threads";
import { TemplateError } from "../../template/errors.ts";
import type { SealedTemplateOutput } from "../../template/sealed-secrets.ts";
import { EsoTemplateError, type EsoRenderOutput } from "../../template/eso.ts";
import type { EsoTemplateSpec } from "../../api/eso-template.ts";
import { siblingModule } from "../../runtime/sibling-module.ts";
import type { Logger } from "../../log.ts";
import type { EsoRenderJob, RenderReply, RenderRequest, SealedRenderJob } from "./protocol.ts";

/** Why rendering stopped without an answer. Not retryable: the same template does the same. */
export class TemplateRenderStopped extends Error {
  override readonly name = "TemplateRenderStopped";
  readonly why: "timeout" | "memory" | "crashed";
  constructor(why: "timeout" | "memory" | "crashed", message: string) {
    super(message);
    this.why = why;
  }
}

export interface TemplatePoolOptions {
  /** Longest one object's templates may render (default 10 s). */
  deadlineMs?: number;
  /** Heap of the template thread (default 256 MiB). */
  maxHeapMb?: number;
  /** Stop the thread after this long without work (default 30 s). */
  idleMs?: number;
  log?: Logger;
  workerFile?: URL;
}

interface Job {
  request: (SealedRenderJob | EsoRenderJob) & { now: number };
  /** Settles the caller's promise from the thread's reply. */
  answer: (reply: RenderReply) => void;
  reject: (err: Error) => void;
}

export class TemplatePool {
  private readonly deadlineMs: number;
  private readonly maxHeapMb: number;
  private readonly idleMs: number;
  private readonly log: Logger | undefined;
  private readonly workerFile: URL;
  private worker: Worker | undefined;
  private ready: Promise<void> | undefined;
  private readonly queue: Job[] = [];
  private running: { id: number; job: Job; timer: NodeJS.Timeout | undefined } | undefined;
  private nextId = 1;
  private idleTimer: NodeJS.Timeout | undefined;
  private closed = false;
  /** Renders done on the thread, and threads started (tests, metrics). */
  renders = 0;
  spawns = 0;

  constructor(options: TemplatePoolOptions = {}) {
    this.deadlineMs = options.deadlineMs ?? 10_000;
    this.maxHeapMb = options.maxHeapMb ?? 256;
    this.idleMs = options.idleMs ?? 30_000;
    this.log = options.log;
    this.workerFile = options.workerFile ?? siblingModule(import.meta.url, "./worker");
  }

  /** spec.template.data of a SealedSecret-shaped object, as renderSealedSecretTemplate does it. */
  renderSealed(input: { templateData: Readonly<Record<string, string>>; decrypted: Readonly<Record<string, Uint8Array>>; now: Date }): Promise<SealedTemplateOutput> {
    return new Promise((resolve, reject) => {
      this.submit({
        request: { kind: "sealed", templateData: { ...input.templateData }, decrypted: { ...input.decrypted }, now: input.now.getTime() },
        reject,
        answer: (reply) => {
          if (reply.ok && reply.kind === "sealed") {
            const errors = reply.errors.map(({ key, error }) => {
              const rebuilt = new TemplateError({ phase: error.phase, message: error.message, name: error.templateName, line: error.line, column: error.column });
              return { key, message: error.message, error: rebuilt };
            });
            resolve({ data: reply.data, errors });
          } else reject(new TemplateRenderStopped("crashed", "message" in reply ? reply.message : "unexpected answer from the template thread"));
        },
      });
    });
  }

  /** An ExternalSecret's target.template, as renderEsoTemplate does it (throws EsoTemplateError). */
  renderEso(input: { template: EsoTemplateSpec; data: Readonly<Record<string, string | Uint8Array>>; now: Date }): Promise<EsoRenderOutput> {
    return new Promise((resolve, reject) => {
      this.submit({
        request: { kind: "eso", template: input.template, data: { ...input.data }, now: input.now.getTime() },
        reject,
        answer: (reply) => {
          if (reply.ok && reply.kind === "eso") resolve(reply.out);
          else if (!reply.ok && "eso" in reply) reject(new EsoTemplateError(reply.eso.message, reply.eso.key));
          else reject(new TemplateRenderStopped("crashed", "message" in reply ? reply.message : "unexpected answer from the template thread"));
        },
      });
    });
  }

  private submit(job: Job): void {
    if (this.closed) {
      job.reject(new TemplateRenderStopped("crashed", "the template thread is stopped"));
      return;
    }
    this.queue.push(job);
    this.pump();
  }

  async close(): Promise<void> {
    this.closed = true;
    if (this.idleTimer) clearTimeout(this.idleTimer);
    for (const job of this.queue.splice(0)) job.reject(new TemplateRenderStopped("crashed", "the template thread is stopped"));
    await this.endWorker();
  }

  private spawn(): void {
    this.spawns++;
    const worker = new Worker(this.workerFile, { resourceLimits: { maxOldGenerationSizeMb: this.maxHeapMb, maxYoungGenerationSizeMb: 8 } });
    worker.unref();
    this.worker = worker;
    this.ready = new Promise<void>((resolve, reject) => {
      const onReady = (m: unknown) => {
        if ((m as { ready?: boolean } | null)?.ready !== true) return;
        worker.off("message", onReady);
        resolve();
      };
      worker.on("message", onReady);
      worker.once("error", reject);
    });
    worker.on("message", (m: RenderReply | { ready: true }) => {
      if ("ready" in m) return;
      this.answer(m);
    });
    worker.on("error", (err: Error & { code?: string }) => this.lost(worker, err.code === "ERR_WORKER_OUT_OF_MEMORY" ? "memory" : "crashed", err));
    worker.on("exit", () => this.lost(worker, "crashed"));
  }

  private pump(): void {
    if (this.running || this.closed) return;
    const job = this.queue.shift();
    if (job === undefined) {
      this.settle();
      return;
    }
    if (this.idleTimer) {
      clearTimeout(this.idleTimer);
      this.idleTimer = undefined;
    }
    if (!this.worker) this.spawn();
    const worker = this.worker;
    const id = this.nextId++;
    this.running = { id, job, timer: undefined };
    void this.ready?.then(
      () => {
        if (this.running?.id !== id) return;
        // The deadline counts the render, not the thread's start (module loading takes a while).
        const timer = setTimeout(() => {
          if (this.running?.id !== id) return;
          this.finish(new TemplateRenderStopped("timeout", `rendering took longer than ${this.deadlineMs / 1000} s and was stopped`));
          void this.endWorker();
        }, this.deadlineMs);
        timer.unref();
        this.running.timer = timer;
        worker?.postMessage({ id, ...job.request } satisfies RenderRequest);
      },
      (err: unknown) => {
        if (this.running?.id !== id) return;
        this.log?.error({ error: err instanceof Error ? err.message : String(err) }, "template thread failed to start");
        this.finish(new TemplateRenderStopped("crashed", "the template thread could not start"));
        void this.endWorker();
      },
    );
  }

  private answer(reply: RenderReply): void {
    const running = this.running;
    if (running?.id !== reply.id) return;
    this.renders++;
    if (running.timer) clearTimeout(running.timer);
    this.running = undefined;
    running.job.answer(reply);
    this.pump();
  }

  /** Ends the render in flight with an error (deadline, lost thread). */
  private finish(err: Error): void {
    const running = this.running;
    if (!running) return;
    if (running.timer) clearTimeout(running.timer);
    this.running = undefined;
    running.job.reject(err);
    this.pump();
  }

  /** The thread died (out of memory, crash) or was ended; a render in flight fails with the reason. */
  private lost(worker: Worker, why: "memory" | "crashed", err?: Error): void {
    if (this.worker !== worker) return;
    this.worker = undefined;
    this.ready = undefined;
    if (!this.running) return;
    if (why === "memory") this.log?.warn({ maxHeapMb: this.maxHeapMb }, "a template exhausted the template thread's memory; the thread was replaced");
    else this.log?.warn({ error: err?.message }, "the template thread stopped; it is replaced on the next render");
    this.finish(new TemplateRenderStopped(why, why === "memory" ? `rendering needed more than ${this.maxHeapMb} MiB and was stopped` : "the template thread stopped while rendering"));
  }

  private async endWorker(): Promise<void> {
    const worker = this.worker;
    this.worker = undefined;
    this.ready = undefined;
    if (worker) await worker.terminate();
  }

  private settle(): void {
    if (this.idleTimer || !this.worker || this.closed) return;
    this.idleTimer = setTimeout(() => {
      this.idleTimer = undefined;
      if (!this.running && this.queue.length === 0) void this.endWorker();
    }, this.idleMs);
    this.idleTimer.unref();
  }
}
