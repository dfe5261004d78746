// ExternalSecrets whose store is not in the rendered output: a SecretStore must be rendered with it
// (same namespace), a ClusterSecretStore anywhere under the checked paths. kustomize's namePrefix and
// nameSuffix rename stores but not the references to them (storeRef is not one of its name
// references), so an overlay that prefixes both breaks the link; the finding says so.
import { isRecord } from "../api/sealed-secret.ts";
import type { SourceDocument } from "./documents.ts";
import type { Finding } from "./finding.ts";
import { classify, describeObject, identityOf } from "./objects.ts";
import type { RenderedObject, Transformation } from "./rendering.ts";

interface StoreRef {
  kind: "SecretStore" | "ClusterSecretStore";
  name: string;
  /** Field path of the reference, for the line and the message. */
  path: (string | number)[];
}

function refAt(parent: unknown, key: string, path: (string | number)[]): StoreRef | undefined {
  if (!isRecord(parent)) return undefined;
  const ref = parent[key];
  if (!isRecord(ref) || typeof ref["name"] !== "string" || ref["name"] === "") return undefined;
  const kind = ref["kind"] === "ClusterSecretStore" ? "ClusterSecretStore" : "SecretStore";
  return { kind, name: ref["name"], path: [...path, key] };
}

/** Every store an ExternalSecret spec names: spec.secretStoreRef and each data/dataFrom sourceRef.storeRef. */
export function storeRefs(spec: unknown, at: (string | number)[]): StoreRef[] {
  if (!isRecord(spec)) return [];
  const out: StoreRef[] = [];
  const top = refAt(spec, "secretStoreRef", at);
  if (top !== undefined) out.push(top);
  for (const field of ["data", "dataFrom"] as const) {
    const items = spec[field];
    if (!Array.isArray(items)) continue;
    for (const [i, item] of (items as unknown[]).entries()) {
      if (!isRecord(item)) continue;
      const r = refAt(item["sourceRef"], "storeRef", [...at, field, i, "sourceRef"]);
      if (r !== undefined) out.push(r);
    }
  }
  return out;
}

/** A PushSecret's spec.secretStoreRefs entries that name a store (label selectors are resolved at runtime). */
function pushSecretStoreRefs(spec: unknown): StoreRef[] {
  if (!isRecord(spec) || !Array.isArray(spec["secretStoreRefs"])) return [];
  const out: StoreRef[] = [];
  for (const [i, item] of (spec["secretStoreRefs"] as unknown[]).entries()) {
    if (!isRecord(item) || typeof item["name"] !== "string" || item["name"] === "") continue;
    out.push({ kind: item["kind"] === "ClusterSecretStore" ? "ClusterSecretStore" : "SecretStore", name: item["name"], path: ["spec", "secretStoreRefs", i] });
  }
  return out;
}

export interface StoreIndex {
  /** "namespace/name" of every SecretStore in the unit ("" namespace when none was given). */
  secretStores: { namespace: string; name: string; object: RenderedObject }[];
  clusterStores: Set<string>;
}

export function indexStores(objects: readonly RenderedObject[]): StoreIndex {
  const index: StoreIndex = { secretStores: [], clusterStores: new Set() };
  for (const obj of objects) {
    const kind = classify(obj.value);
    const id = identityOf(obj.value);
    if (id === undefined || id.name === "") continue;
    if (kind === "SecretStore") index.secretStores.push({ namespace: id.namespace, name: id.name, object: obj });
    if (kind === "ClusterSecretStore") index.clusterStores.add(id.name);
  }
  return index;
}

function renamedBy(ts: readonly Transformation[], display: (p: string) => string): string {
  const parts = ts.filter((t) => t.field === "namePrefix" || t.field === "nameSuffix").map((t) => `${t.field} '${t.value}' in ${display(t.file)}`);
  return [...new Set(parts)].join(" and ");
}

export interface StoreCheckContext {
  /** What the unit is, for the message: "the rendered output of overlays/prod" or "the files outside any kustomization". */
  unit: string;
  /** ClusterSecretStores anywhere under the checked paths (rendered or not). */
  clusterStoresAnywhere: ReadonlySet<string>;
  display: (p: string) => string;
}

/** Findings for the ExternalSecrets and ClusterExternalSecrets of one unit. */
export function storeFindings(objects: readonly RenderedObject[], index: StoreIndex, ctx: StoreCheckContext): Finding[] {
  const out: Finding[] = [];
  for (const obj of objects) {
    const kind = classify(obj.value);
    if (kind !== "ExternalSecret" && kind !== "ClusterExternalSecret" && kind !== "PushSecret") continue;
    const id = identityOf(obj.value);
    if (id === undefined) continue;
    const spec = obj.value["spec"];
    const refs =
      kind === "ExternalSecret"
        ? storeRefs(spec, ["spec"])
        : kind === "PushSecret"
          ? pushSecretStoreRefs(spec)
          : // A ClusterExternalSecret's SecretStore refs resolve in namespaces chosen at runtime: only cluster stores are checked.
            storeRefs(isRecord(spec) ? spec["externalSecretSpec"] : undefined, ["spec", "externalSecretSpec"]).filter((r) => r.kind === "ClusterSecretStore");
    const doc: SourceDocument | undefined = obj.source;
    for (const ref of refs) {
      let found: boolean;
      let hint = "";
      if (ref.kind === "ClusterSecretStore") {
        found = index.clusterStores.has(ref.name) || ctx.clusterStoresAnywhere.has(ref.name);
      } else {
        const sameName = index.secretStores.filter((s) => s.name === ref.name);
        found = sameName.some((s) => s.namespace === id.namespace || s.namespace === "" || id.namespace === "");
        if (!found && sameName.length > 0) hint = ` (there is one in namespace ${sameName.map((s) => s.namespace).join(", ")}; a SecretStore serves only its own namespace)`;
        if (!found && sameName.length === 0) {
          // The store this reference meant may be in the output under a new name.
          const renamed = index.secretStores.find((s) => identityOf(s.object.source?.value)?.name === ref.name);
          if (renamed !== undefined) {
            const by = renamedBy(renamed.object.transformations, ctx.display);
            hint = ` (SecretStore ${ref.name} is rendered as ${renamed.namespace === "" ? "" : `${renamed.namespace}/`}${renamed.name}${by !== "" ? `, renamed by ${by}` : ""}; kustomize does not rename storeRef)`;
          }
        }
      }
      if (found) continue;
      out.push({
        rule: "store-not-found",
        severity: "error",
        file: doc?.file ?? ctx.unit,
        line: doc?.lineOf([...ref.path, "name"]) ?? 0,
        object: describeObject(id),
        message: `${ref.path.join(".")} names ${ref.kind} ${ref.name}, which is not in ${ctx.unit}${hint}${ref.kind === "ClusterSecretStore" ? " nor anywhere under the checked paths" : ""}`,
      });
    }
  }
  return out;
}
