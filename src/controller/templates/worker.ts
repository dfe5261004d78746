// The template worker thread: renders an object's spec.template.data off the event loop, so key
// generation, long ranges and big outputs cost this thread, not the probes and the other objects.
// The pool (pool.ts) bounds its time and memory.
import { parentPort } from "node:worker_threads";
import type { TemplateError } from "../../template/errors.ts";
import { renderSealedSecretTemplate } from "../../template/sealed-secrets.ts";
import type { SealedRenderReply, SealedRenderRequest, WireTemplateError } from "./protocol.ts";

function wire(e: TemplateError): WireTemplateError {
  return { phase: e.phase, message: e.message, templateName: e.templateName, line: e.line, column: e.column };
}

parentPort?.on("message", (req: SealedRenderRequest) => {
  let reply: SealedRenderReply;
  try {
    const out = renderSealedSecretTemplate({ templateData: req.templateData, decrypted: req.decrypted, options: { now: () => new Date(req.now) } });
    reply = { id: req.id, ok: true, data: out.data, errors: out.errors.map((e) => ({ key: e.key, error: wire(e.error) })) };
  } catch (err) {
    // Only the kind of failure: a message from deep inside may quote a value.
    reply = { id: req.id, ok: false, message: err instanceof RangeError ? "nesting too deep" : "the template engine failed" };
  }
  parentPort?.postMessage(reply);
});
parentPort?.postMessage({ ready: true });
