// ESO target.template (engineVersion v2) as a pure function: template.data, templateFrom
// (configMap / secret / literal; Values and KeysAndValues; targets Data, Annotations, Labels),
// mergePolicy and metadata templates. Mirrors external-secrets runtime/template/v2 Execute.
import { templateErrorSummary } from "./error-summary.ts";
import { TemplateError } from "./errors.ts";
import { bytesToGoString } from "./gostring.ts";
import { objectBudget, type TemplateOptions, render } from "./template.ts";
import { stringMap } from "./values.ts";
import { YamlStringMapError, yamlToStringMap } from "./yaml-v2.ts";
import type { EsoTemplateSpec } from "../api/eso-template.ts";

export type { EsoTemplateSpec, TemplateFromItem, TemplateFromSource, TemplateScope, TemplateTarget } from "../api/eso-template.ts";

export interface EsoRenderInput {
  template: EsoTemplateSpec;
  /** The secret data fetched from providers (data/dataFrom); bytes reach templates byte for byte. */
  data: Readonly<Record<string, string | Uint8Array>>;
  options?: Omit<TemplateOptions, "profile">;
}

export interface EsoRenderOutput {
  /** Go strings: goStringToBytes (gostring.ts) gives each value's exact bytes, binary ones included. */
  data: Record<string, string>;
  labels: Record<string, string>;
  annotations: Record<string, string>;
}

export class EsoTemplateError extends Error {
  readonly key: string;
  override readonly cause: unknown;
  constructor(message: string, key: string, cause?: unknown) {
    super(message);
    this.name = "EsoTemplateError";
    this.key = key;
    this.cause = cause;
  }
}

/** ESO's string(data[k]) for each provider value. */
function goStrings(data: EsoRenderInput["data"]): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(data)) out[k] = typeof v === "string" ? v : bytesToGoString(v);
  return out;
}

function exec(name: string, text: string, data: Readonly<Record<string, string>>, options: EsoRenderInput["options"]): string {
  try {
    return render(name, text, stringMap(Object.entries(data)), { ...options, profile: "eso" });
  } catch (e) {
    if (e instanceof TemplateError) {
      const what = e.phase === "parse" ? "parse" : "execute";
      // Go's execution messages quote arguments (values): only a summary leaves this module.
      throw new EsoTemplateError(`unable to ${what} template at key ${name}: ${templateErrorSummary(e)}`, name, e);
    }
    throw e;
  }
}

function applyValues(tpl: Readonly<Record<string, string>>, data: Readonly<Record<string, string>>, into: Record<string, string>, options: EsoRenderInput["options"]): void {
  for (const [k, v] of Object.entries(tpl)) into[k] = exec(k, v, data, options);
}

function applyKeysAndValues(tpl: string, data: Readonly<Record<string, string>>, into: Record<string, string>, options: EsoRenderInput["options"]): void {
  const rendered = exec(tpl, tpl, data, options);
  let parsed: Map<string, string>;
  try {
    parsed = yamlToStringMap(rendered);
  } catch (e) {
    if (!(e instanceof YamlStringMapError)) throw e;
    throw new EsoTemplateError(`could not unmarshal template to 'map[string][]byte': ${e.message}`, tpl, e);
  }
  for (const [k, v] of parsed) into[k] = v;
}

/**
 * Renders an ExternalSecret target template. Order follows ESO: metadata, templateFrom, then
 * template.data (data wins). With mergePolicy Merge the provider data is the base layer.
 */
export function renderEsoTemplate(input: EsoRenderInput): EsoRenderOutput {
  const { template } = input;
  // One budget for every template of the ExternalSecret (see RenderBudget).
  const options = { ...input.options, budget: input.options?.budget ?? objectBudget() };
  const data = goStrings(input.data);
  if (template.engineVersion !== undefined && template.engineVersion !== "v2") {
    throw new EsoTemplateError(`unsupported template engineVersion ${String(template.engineVersion)}`, "");
  }
  const out: EsoRenderOutput = { data: {}, labels: {}, annotations: {} };
  if (template.mergePolicy === "Merge") Object.assign(out.data, data);
  if (template.metadata?.labels) applyValues(template.metadata.labels, data, out.labels, options);
  if (template.metadata?.annotations) applyValues(template.metadata.annotations, data, out.annotations, options);
  for (const from of template.templateFrom ?? []) {
    const target = from.target ?? "Data";
    const into = target === "Annotations" ? out.annotations : target === "Labels" ? out.labels : out.data;
    for (const src of [from.configMap, from.secret]) {
      if (src === undefined) continue;
      for (const item of src.items) {
        const text = src.data[item.key];
        if (text === undefined) throw new EsoTemplateError(`key ${item.key} not found in template source`, item.key);
        if ((item.templateAs ?? "Values") === "KeysAndValues") applyKeysAndValues(text, data, into, options);
        else applyValues({ [item.key]: text }, data, into, options);
      }
    }
    if (from.literal !== undefined) applyKeysAndValues(from.literal, data, into, options);
  }
  if (template.data) applyValues(template.data, data, out.data, options);
  return out;
}
