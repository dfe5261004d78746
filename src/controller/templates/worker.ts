// The template worker thread: renders an object's templates off the event loop, so key generation,
// long ranges and big outputs cost this thread, not the probes and the other objects. The pool
// (pool.ts) bounds its time and memory.
import { parentPort } from "node:worker_threads";
import type { TemplateError } from "../../template/errors.ts";
import { EsoTemplateError, renderEsoTemplate } from "../../template/eso.ts";
import { renderSealedSecretTemplate } from "../../template/sealed-secrets.ts";
import type { RenderReply, RenderRequest, WireTemplateError } from "./protocol.ts";

function wire(e: TemplateError): WireTemplateError {
  return { phase: e.phase, message: e.message, templateName: e.templateName, line: e.line, column: e.column };
}

function render(req: RenderRequest): RenderReply {
  const options = { now: () => new Date(req.now) };
  if (req.kind === "sealed") {
    const out = renderSealedSecretTemplate({ templateData: req.templateData, decrypted: req.decrypted, options });
    return { id: req.id, ok: true, kind: "sealed", data: out.data, errors: out.errors.map((e) => ({ key: e.key, error: wire(e.error) })) };
  }
  try {
    return { id: req.id, ok: true, kind: "eso", out: renderEsoTemplate({ template: req.template, data: req.data, options }) };
  } catch (err) {
    if (err instanceof EsoTemplateError) return { id: req.id, ok: false, eso: { message: err.message, key: err.key } };
    throw err;
  }
}

parentPort?.on("message", (req: RenderRequest) => {
  let reply: RenderReply;
  try {
    reply = render(req);
  } catch (err) {
    // Only the kind of failure: a message from deep inside may quote a value.
    reply = { id: req.id, ok: false, message: err instanceof RangeError ? "nesting too deep" : "the template engine failed" };
  }
  parentPort?.postMessage(reply);
});
parentPort?.postMessage({ ready: true });
