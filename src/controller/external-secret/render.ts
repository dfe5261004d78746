// Rendering an ExternalSecret's target: without target.template, the provider values as they are;
// with one, its templateFrom sources read (ConfigMaps, Secrets), then ESO's template engine, on the
// template thread when there is one. Provider values reach it as bytes and leave it as bytes (Go
// strings); values no template transforms are copied byte for byte.
import { resolveTemplateFrom, type ExternalSecretSpec } from "../../api/external-secret.ts";
import { resources } from "../../api/resources.ts";
import type { KubePort } from "../../kube/port.ts";
import { EsoTemplateError, renderEsoTemplate } from "../../template/eso.ts";
import { goStringToBytes } from "../../template/gostring.ts";
import { TemplateRenderStopped, type TemplatePool } from "../templates/pool.ts";
import { stringRecord } from "./plan.ts";

/** The target's data (base64), labels, annotations and type, as rendered. */
export interface RenderedTarget {
  data: Record<string, string>;
  labels: Record<string, string>;
  annotations: Record<string, string>;
  type: string | undefined;
}

export type RenderResult = { ok: true; rendered: RenderedTarget } | { ok: false; message: string };

/** A template failure the status reports (TemplateFailed); any other error propagates. */
class TemplateSourceError extends Error {
  override readonly name = "TemplateSourceError";
}

export async function renderTarget(input: {
  template: ExternalSecretSpec["target"]["template"];
  data: Readonly<Record<string, Uint8Array>>;
  namespace: string;
  kube: KubePort;
  /** Renders off the event loop; inline when omitted (tests). */
  pool: TemplatePool | undefined;
  now: Date;
}): Promise<RenderResult> {
  const { template, data: fetched, now } = input;
  if (!template) return { ok: true, rendered: { data: base64Map(fetched), labels: {}, annotations: {}, type: undefined } };
  try {
    const lookups = new Map<string, Record<string, string>>();
    await readTemplateSources(input.kube, template.templateFrom, input.namespace, lookups);
    const resolved = { ...template, templateFrom: resolveTemplateFrom(template.templateFrom, (kind, name) => lookups.get(`${kind}/${name}`) ?? {}) };
    // On the template thread when there is one: key generation and big renders stay off the event loop.
    const out = input.pool
      ? await input.pool.renderEso({ template: resolved, data: fetched, now })
      : renderEsoTemplate({ template: resolved, data: fetched, options: { now: () => now } });
    // ESO keeps the provider data when mergePolicy is Merge or the template renders no data
    // (only type or metadata), so such a template changes the Secret's shape, not its keys.
    const keepsProviderData = template.mergePolicy === "Merge" || (Object.keys(template.data ?? {}).length === 0 && template.templateFrom.length === 0);
    const data: Record<string, string> = keepsProviderData ? base64Map(fetched) : {};
    for (const [k, v] of Object.entries(out.data)) data[k] = Buffer.from(goStringToBytes(v)).toString("base64");
    return { ok: true, rendered: { data, labels: out.labels, annotations: out.annotations, type: template.type } };
  } catch (err) {
    if (err instanceof EsoTemplateError || err instanceof TemplateSourceError || err instanceof TemplateRenderStopped) return { ok: false, message: err.message };
    throw err;
  }
}

async function readTemplateSources(
  kube: KubePort,
  from: readonly { configMap?: { name: string }; secret?: { name: string } }[],
  namespace: string,
  into: Map<string, Record<string, string>>,
): Promise<void> {
  for (const f of from) {
    if (f.configMap) {
      const cm = await kube.get(resources.configMap, namespace, f.configMap.name);
      if (!cm) throw new TemplateSourceError(`ConfigMap ${f.configMap.name} for templateFrom not found`);
      into.set(`configMap/${f.configMap.name}`, stringRecord(cm["data"]));
    }
    if (f.secret) {
      const s = await kube.get(resources.secret, namespace, f.secret.name);
      if (!s) throw new TemplateSourceError(`Secret ${f.secret.name} for templateFrom not found`);
      const decoded: Record<string, string> = {};
      for (const [k, v] of Object.entries(stringRecord(s["data"]))) decoded[k] = Buffer.from(v, "base64").toString("utf8");
      into.set(`secret/${f.secret.name}`, decoded);
    }
  }
}

function base64Map(data: Readonly<Record<string, Uint8Array>>): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(data)) out[k] = Buffer.from(v).toString("base64");
  return out;
}
