// The step between decrypting and planning for the decrypted kinds: when values
// opened and the object has spec.template.data, render it on the template thread, so the plan gets
// the result (or why rendering stopped) instead of rendering on the event loop.
import type { SecretTemplate } from "../../api/sealed-secret.ts";
import type { RenderedTemplates } from "./plan.ts";
import type { OpenedValue } from "../keys/rsa-protocol.ts";
import { TemplateRenderStopped, type TemplatePool } from "../templates/pool.ts";

export async function renderTemplates(
  pool: TemplatePool | undefined,
  template: SecretTemplate | undefined,
  values: readonly OpenedValue[],
  now: Date,
): Promise<RenderedTemplates | undefined> {
  const templateData = template?.data ?? {};
  if (pool === undefined || Object.keys(templateData).length === 0) return undefined;
  const decrypted: Record<string, Uint8Array> = {};
  for (const v of values) {
    if (!v.ok) return undefined; // the plan reports the values that did not open
    decrypted[v.name] = v.plaintext;
  }
  try {
    return await pool.renderSealed({ templateData, decrypted, now });
  } catch (err) {
    if (err instanceof TemplateRenderStopped) return { stopped: err.message };
    throw err;
  }
}
