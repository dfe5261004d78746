// Plain `kind: Secret` manifests (and kustomize secretGenerators) that commit values in the clear.
// Only key names are reported, never a value.
import { isRecord } from "../api/sealed-secret.ts";
import type { SourceDocument } from "./documents.ts";
import type { Finding } from "./finding.ts";
import { describeObject, identityOf } from "./objects.ts";

const MAX_KEYS_NAMED = 10;

/** Key names as a list a reader can act on; a key that does not look like one is only counted. */
export function keyList(keys: readonly string[]): string {
  const shown = keys.filter((k) => /^[-._a-zA-Z0-9]{1,253}$/.test(k));
  const named = shown.slice(0, MAX_KEYS_NAMED).join(", ");
  const more = keys.length - Math.min(shown.length, MAX_KEYS_NAMED);
  return more > 0 ? `${named}${named === "" ? "" : ", "}and ${more} more` : named;
}

function nonEmptyKeys(map: unknown): string[] {
  if (!isRecord(map)) return [];
  return Object.entries(map)
    .filter(([, v]) => v !== null && v !== undefined && v !== "")
    .map(([k]) => k);
}

export function plainSecretFindings(doc: SourceDocument): Finding[] {
  const id = identityOf(doc.value);
  if (id === undefined || !isRecord(doc.value)) return [];
  const out: Finding[] = [];
  for (const field of ["data", "stringData"] as const) {
    const keys = nonEmptyKeys(doc.value[field]);
    if (keys.length === 0) continue;
    out.push({
      rule: "plain-secret",
      severity: "error",
      file: doc.file,
      line: doc.lineOf([field]),
      object: describeObject(id),
      message: `${field} holds ${keys.length} value(s) in the clear (keys: ${keyList(keys)}); seal it (sealbridge seal) or encrypt it with sops before merging`,
    });
  }
  return out;
}

/** A kustomization's secretGenerator entries with literals, files or envs commit values in the clear. */
export function secretGeneratorFindings(doc: SourceDocument): Finding[] {
  if (!isRecord(doc.value)) return [];
  const generators = doc.value["secretGenerator"];
  if (!Array.isArray(generators)) return [];
  const out: Finding[] = [];
  for (const [i, g] of (generators as unknown[]).entries()) {
    if (!isRecord(g)) continue;
    const sources = (["literals", "files", "envs", "env"] as const).filter((k) => (Array.isArray(g[k]) ? g[k].length > 0 : typeof g[k] === "string" && g[k] !== ""));
    if (sources.length === 0) continue;
    const name = typeof g["name"] === "string" ? g["name"] : "";
    out.push({
      rule: "plain-secret",
      severity: "error",
      file: doc.file,
      line: doc.lineOf(["secretGenerator", i]),
      object: describeObject({ kind: "Secret", name, namespace: "" }),
      message: `secretGenerator[${i}] makes a Secret from ${sources.join(" and ")} committed in the clear; seal the values instead (a SealedSecret or a SopsSecret)`,
    });
  }
  return out;
}
