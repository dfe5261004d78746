// kustomization.yaml files as check reads them: what they include (resources, components), what
// renames objects (namePrefix, nameSuffix, namespace) and what else transforms (patches, replacements,
// transformers…), which the built-in renderer does not apply and says so.
import { isRecord } from "../api/sealed-secret.ts";

export const KUSTOMIZATION_FILES = ["kustomization.yaml", "kustomization.yml", "Kustomization"] as const;

export interface Kustomization {
  namePrefix: string;
  nameSuffix: string;
  namespace: string;
  /** resources entries: files, directories, or remote URLs. */
  resources: string[];
  components: string[];
  /** Files named as patches (not resources: a patch is a fragment, not an object to check). */
  patchFiles: string[];
  /** Fields the built-in renderer does not apply (patches, replacements, generators…). */
  notApplied: string[];
}

const NOT_APPLIED = [
  "patches",
  "patchesStrategicMerge",
  "patchesJson6902",
  "replacements",
  "transformers",
  "generators",
  "helmCharts",
  "images",
  "replicas",
  "labels",
  "commonLabels",
  "commonAnnotations",
  "configMapGenerator",
  "secretGenerator",
  "crds",
  "openapi",
  "configurations",
  "vars",
] as const;

function strings(v: unknown): string[] {
  return Array.isArray(v) ? v.filter((s): s is string => typeof s === "string" && s !== "") : [];
}

function text(v: unknown): string {
  return typeof v === "string" ? v : "";
}

/** A document is a kustomization when it sits in a file with that name (kind/apiVersion optional). */
export function parseKustomization(value: unknown): Kustomization | undefined {
  if (value === null || value === undefined) return { namePrefix: "", nameSuffix: "", namespace: "", resources: [], components: [], patchFiles: [], notApplied: [] };
  if (!isRecord(value)) return undefined;
  const patchFiles: string[] = [];
  const patches = Array.isArray(value["patches"]) ? (value["patches"] as unknown[]) : [];
  for (const p of patches) if (isRecord(p) && typeof p["path"] === "string") patchFiles.push(p["path"]);
  const json6902 = Array.isArray(value["patchesJson6902"]) ? (value["patchesJson6902"] as unknown[]) : [];
  for (const p of json6902) if (isRecord(p) && typeof p["path"] === "string") patchFiles.push(p["path"]);
  // patchesStrategicMerge entries are file names or inline patches (which hold a newline or "kind:").
  for (const p of strings(value["patchesStrategicMerge"])) if (!p.includes("\n") && !p.includes(":")) patchFiles.push(p);
  return {
    namePrefix: text(value["namePrefix"]),
    nameSuffix: text(value["nameSuffix"]),
    namespace: text(value["namespace"]),
    resources: [...strings(value["resources"]), ...strings(value["bases"])],
    components: strings(value["components"]),
    patchFiles,
    notApplied: NOT_APPLIED.filter((k) => value[k] !== undefined && value[k] !== null && !(Array.isArray(value[k]) && value[k].length === 0)),
  };
}

/** A resources entry kustomize fetches from elsewhere (a Git URL or an HTTP file). */
export function isRemote(entry: string): boolean {
  return /^[a-z][a-z0-9+.-]*:\/\//i.test(entry) || entry.startsWith("git@") || /^github\.com\//.test(entry);
}
