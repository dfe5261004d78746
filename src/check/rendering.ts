// Rendered kustomize output as check uses it: each object with the source document it came from
// and the transformations that changed it (namePrefix 'prod-' in overlays/prod/kustomization.yaml).
// Two renderers produce it: the real kustomize (`kustomize build` or `kubectl kustomize`, run with
// kustomize's origin and transformer annotations; see render-tool.ts), and a built-in one for the
// part that matters to scopes and stores (resources, components, namePrefix, nameSuffix, namespace),
// used when no kustomize binary is on PATH; it names what it does not apply.
import { dirname, resolve } from "node:path";
import { isRecord } from "../api/sealed-secret.ts";
import type { SourceDocument } from "./documents.ts";
import type { Finding } from "./finding.ts";
import { isRemote, type Kustomization } from "./kustomization.ts";
import { describeObject, identityOf } from "./objects.ts";

export interface Transformation {
  /** The kustomization field: namePrefix, nameSuffix, namespace, patches… (or a transformer kind). */
  field: string;
  /** The field's value for the renaming fields ("" otherwise). */
  value: string;
  /** Absolute path of the kustomization file that configured it. */
  file: string;
}

export interface RenderedObject {
  value: Record<string, unknown>;
  /** The document it was rendered from, when known (not for generated or remote objects). */
  source?: SourceDocument;
  transformations: Transformation[];
}

export type RendererName = "kustomize" | "kubectl" | "builtin";

export interface Rendering {
  /** Absolute path of the overlay directory. */
  root: string;
  renderer: RendererName;
  objects: RenderedObject[];
  findings: Finding[];
  /** What the renderer did not apply (built-in renderer only). */
  notes: string[];
}

export interface LoadedKustomization {
  /** Absolute path of the kustomization file. */
  path: string;
  doc: SourceDocument;
  kustomization: Kustomization;
}

/** The file tree as the renderers see it (the CLI reads the disk; tests may use the same reader). */
export interface TreeLoader {
  kustomizationIn(dir: string): LoadedKustomization | undefined;
  /** A file's documents, or a finding when it cannot be read or parsed. */
  documents(file: string): SourceDocument[] | Finding;
  pathKind(path: string): "file" | "dir" | "missing";
  /** Display path (relative to the working directory). */
  display(path: string): string;
}

// Kinds kustomize knows to be cluster-scoped (its namespace transformer leaves them alone); every
// other kind, custom resources included, gets the namespace.
const CLUSTER_SCOPED = new Set([
  "Namespace",
  "ClusterRole",
  "ClusterRoleBinding",
  "CustomResourceDefinition",
  "PersistentVolume",
  "StorageClass",
  "PriorityClass",
  "ValidatingWebhookConfiguration",
  "MutatingWebhookConfiguration",
  "ValidatingAdmissionPolicy",
  "ValidatingAdmissionPolicyBinding",
  "APIService",
  "Node",
  "CSIDriver",
  "CSINode",
  "IngressClass",
  "RuntimeClass",
  "VolumeAttachment",
  "CertificateSigningRequest",
  "ComponentStatus",
  "PodSecurityPolicy",
  "FlowSchema",
  "PriorityLevelConfiguration",
]);

/** The kinds a rendering is looked at for (scopes, stores, online checks); other objects are dropped. */
export const RENDERED_KINDS = ["SealedSecret", "AgeSecret", "SopsSecret", "ExternalSecret", "ClusterExternalSecret", "PushSecret", "SecretStore", "ClusterSecretStore"] as const;
const RENDERED = new Set<string>(RENDERED_KINDS);

const MAX_DEPTH = 64;
/** Bounds a rendering whose kustomizations include each other many times over (a diamond per level doubles it). */
export const MAX_RENDERED_OBJECTS = 200_000;

function metadataOf(value: Record<string, unknown>): Record<string, unknown> {
  const meta = isRecord(value["metadata"]) ? { ...value["metadata"] } : {};
  value["metadata"] = meta;
  return meta;
}

/** Renders an overlay with the built-in subset. */
export function renderBuiltin(root: string, loader: TreeLoader): Rendering {
  const findings: Finding[] = [];
  const notes: string[] = [];
  let total = 0;
  let overflow = false;
  const walk = (dir: string, stack: readonly string[]): RenderedObject[] => {
    if (overflow) return [];
    const loaded = loader.kustomizationIn(dir);
    if (loaded === undefined) {
      const why = stack.length > 1 ? "a kustomization includes this directory, but it has no readable kustomization.yaml" : "the kustomization is not a mapping of kustomize fields";
      findings.push({ rule: "kustomize-error", severity: "error", file: loader.display(dir), line: 0, message: why });
      return [];
    }
    const { kustomization: k, doc, path } = loaded;
    if (k.components.length > 0) notes.push("components are rendered as plain resources by the built-in renderer (their transformations apply to their own resources only)");
    if (k.notApplied.length > 0) notes.push(`${k.notApplied.join(", ")} not applied by the built-in renderer (install kustomize or kubectl for a full rendering)`);
    const objects: RenderedObject[] = [];
    for (const [field, entries] of [["resources", k.resources], ["components", k.components]] as const) {
      for (const [i, entry] of entries.entries()) {
        const line = doc.lineOf([field, i]);
        if (isRemote(entry)) {
          notes.push(`${loader.display(path)}: a remote ${field} entry is not rendered by the built-in renderer`);
          continue;
        }
        const target = resolve(dir, entry);
        const kind = loader.pathKind(target);
        if (kind === "missing") {
          findings.push({ rule: "kustomize-error", severity: "error", file: loader.display(path), line, message: `${field}[${i}]: ${loader.display(target)} does not exist` });
        } else if (kind === "dir") {
          if (stack.includes(target) || stack.length >= MAX_DEPTH) {
            findings.push({ rule: "kustomize-error", severity: "error", file: loader.display(path), line, message: `${field}[${i}]: ${stack.includes(target) ? "includes itself (a cycle)" : `nested deeper than ${MAX_DEPTH} kustomizations`}` });
            continue;
          }
          const sub = walk(target, [...stack, target]);
          total += sub.length;
          if (total > MAX_RENDERED_OBJECTS) {
            if (!overflow) findings.push({ rule: "kustomize-error", severity: "error", file: loader.display(path), line, message: `renders more than ${MAX_RENDERED_OBJECTS} objects (kustomizations included many times over): not rendered` });
            overflow = true;
            return [];
          }
          objects.push(...sub);
        } else {
          const docs = loader.documents(target);
          if (!Array.isArray(docs)) {
            findings.push(docs);
            continue;
          }
          for (const d of docs) if (isRecord(d.value)) objects.push({ value: { ...d.value }, source: d, transformations: [] });
          total += docs.length;
        }
      }
    }
    // kustomize refuses two resources with one id (group, kind, namespace, name) in a kustomization.
    const ids = new Map<string, RenderedObject>();
    let duplicate: string | undefined;
    let duplicates = 0;
    for (const obj of objects) {
      const id = identityOf(obj.value);
      if (id === undefined || id.name === "") continue;
      const key = `${id.apiVersion.split("/").length > 1 ? id.apiVersion.split("/")[0] ?? "" : ""}\0${id.kind}\0${id.namespace}\0${id.name}`;
      const first = ids.get(key);
      if (first === undefined) ids.set(key, obj);
      else if (duplicates++ === 0) duplicate = `${describeObject(id)} (${first.source?.file ?? "?"} and ${obj.source?.file ?? "?"})`;
    }
    if (duplicate !== undefined) {
      findings.push({ rule: "kustomize-error", severity: "error", file: loader.display(path), line: 0, message: `two resources are ${duplicate}${duplicates > 1 ? `, and ${duplicates - 1} more repeat` : ""}: kustomize refuses the overlay` });
    }
    for (const obj of objects) {
      const meta = metadataOf(obj.value);
      const kind = identityOf(obj.value)?.kind ?? "";
      if (k.namespace !== "" && !CLUSTER_SCOPED.has(kind)) {
        meta["namespace"] = k.namespace;
        obj.transformations.push({ field: "namespace", value: k.namespace, file: path });
      }
      if (typeof meta["name"] === "string") {
        const name: string = meta["name"];
        if (k.namePrefix !== "") {
          meta["name"] = k.namePrefix + name;
          obj.transformations.push({ field: "namePrefix", value: k.namePrefix, file: path });
        }
        if (k.nameSuffix !== "") {
          meta["name"] = `${String(meta["name"])}${k.nameSuffix}`;
          obj.transformations.push({ field: "nameSuffix", value: k.nameSuffix, file: path });
        }
      }
    }
    return objects;
  };
  const objects = walk(root, [root]);
  const kept = overflow ? [] : objects.filter((o) => RENDERED.has(identityOf(o.value)?.kind ?? ""));
  return { root, renderer: "builtin", objects: kept, findings, notes };
}

// ---------------------------------------------------------------------------------------------
// The real kustomize's output, mapped back to sources

const TRANSFORMER_FIELDS: Record<string, string> = {
  NamespaceTransformer: "namespace",
  PrefixTransformer: "namePrefix",
  SuffixTransformer: "nameSuffix",
  PrefixSuffixTransformer: "namePrefix",
  PatchTransformer: "patches",
  PatchStrategicMergeTransformer: "patchesStrategicMerge",
  PatchJson6902Transformer: "patchesJson6902",
  ReplacementTransformer: "replacements",
};

export const ORIGIN_ANNOTATION = "config.kubernetes.io/origin";
export const TRANSFORMATIONS_ANNOTATION = "alpha.config.kubernetes.io/transformations";

/** A fingerprint of what makes a scoped object's content unique (its ciphertexts), to tell apart objects of one file. */
function contentKey(value: unknown): string | undefined {
  if (!isRecord(value)) return undefined;
  const spec = isRecord(value["spec"]) ? value["spec"] : {};
  if (isRecord(spec["encryptedData"])) return JSON.stringify(Object.entries(spec["encryptedData"]).sort());
  if (typeof spec["document"] === "string") return spec["document"];
  const sops = value["sops"];
  if (isRecord(sops) && typeof sops["mac"] === "string") return sops["mac"];
  return undefined;
}

/** The document of `file` an output object came from: same kind, same content, or the name inside the rendered one. */
export function matchSource(docs: readonly SourceDocument[], value: Record<string, unknown>): SourceDocument | undefined {
  const id = identityOf(value);
  const candidates = docs.filter((d) => {
    const s = identityOf(d.value);
    return s !== undefined && s.kind === id?.kind && s.apiVersion === id.apiVersion;
  });
  if (candidates.length <= 1) return candidates[0];
  const key = contentKey(value);
  if (key !== undefined) {
    const same = candidates.find((d) => contentKey(d.value) === key);
    if (same !== undefined) return same;
  }
  const name = id?.name ?? "";
  const exact = candidates.find((d) => identityOf(d.value)?.name === name);
  if (exact !== undefined) return exact;
  return candidates
    .filter((d) => { const n = identityOf(d.value)?.name ?? ""; return n !== "" && name.includes(n); })
    .sort((a, b) => (identityOf(b.value)?.name.length ?? 0) - (identityOf(a.value)?.name.length ?? 0))[0];
}

export interface ToolAnnotations {
  /** `path:` of the origin annotation, as written (relative to the built directory). */
  originPath?: string;
  transformations: { configuredIn: string; kind: string }[];
}

/** Removes kustomize's build annotations from an output object and returns what they said. */
export function takeBuildAnnotations(value: Record<string, unknown>, parseYaml: (text: string) => unknown): ToolAnnotations {
  const out: ToolAnnotations = { transformations: [] };
  const meta = isRecord(value["metadata"]) ? value["metadata"] : undefined;
  const annotations = meta !== undefined && isRecord(meta["annotations"]) ? { ...meta["annotations"] } : undefined;
  if (meta === undefined || annotations === undefined) return out;
  const origin = annotations[ORIGIN_ANNOTATION];
  const transformations = annotations[TRANSFORMATIONS_ANNOTATION];
  delete annotations[ORIGIN_ANNOTATION];
  delete annotations[TRANSFORMATIONS_ANNOTATION];
  const copy: Record<string, unknown> = { ...meta };
  if (Object.keys(annotations).length === 0) delete copy["annotations"];
  else copy["annotations"] = annotations;
  value["metadata"] = copy;
  if (typeof origin === "string") {
    const o = parseYaml(origin);
    if (isRecord(o) && typeof o["path"] === "string") out.originPath = o["path"];
  }
  if (typeof transformations === "string") {
    const list = parseYaml(transformations);
    if (Array.isArray(list)) {
      for (const t of list as unknown[]) {
        if (!isRecord(t) || typeof t["configuredIn"] !== "string" || !isRecord(t["configuredBy"])) continue;
        out.transformations.push({ configuredIn: t["configuredIn"], kind: typeof t["configuredBy"]["kind"] === "string" ? t["configuredBy"]["kind"] : "" });
      }
    }
  }
  return out;
}

/** Maps the real kustomize's output (built from `builtDir`, a wrapper of `root`) to rendered objects. */
export function fromToolOutput(root: string, builtDir: string, renderer: RendererName, docs: readonly unknown[], loader: TreeLoader, parseYaml: (text: string) => unknown): Rendering {
  const findings: Finding[] = [];
  const objects: RenderedObject[] = [];
  for (const doc of docs) {
    if (!isRecord(doc)) continue;
    const value = { ...doc };
    const notes = takeBuildAnnotations(value, parseYaml);
    const transformations: Transformation[] = notes.transformations.map((t) => {
      const file = resolve(builtDir, t.configuredIn);
      const field = TRANSFORMER_FIELDS[t.kind] ?? t.kind;
      const k = loader.kustomizationIn(dirname(file))?.kustomization;
      const fieldValue = field === "namespace" ? k?.namespace : field === "namePrefix" ? k?.namePrefix : field === "nameSuffix" ? k?.nameSuffix : "";
      return { field, value: fieldValue ?? "", file };
    });
    const obj: RenderedObject = { value, transformations };
    if (notes.originPath !== undefined) {
      const sourceDocs = loader.documents(resolve(builtDir, notes.originPath));
      if (Array.isArray(sourceDocs)) {
        const source = matchSource(sourceDocs, value);
        if (source !== undefined) obj.source = source;
      }
    }
    objects.push(obj);
  }
  return { root, renderer, objects, findings, notes: [] };
}
