// `sealbridge check`: every sealed, age, SOPS and ESO object under the paths, as committed and as
// each kustomize overlay renders it, checked against what the cluster publishes. Per file: values
// in the clear, ciphertext framing, the certificate or recipients a payload was sealed for. Per
// rendering: scopes broken by renames, ExternalSecrets whose store is not rendered. Online (the
// controller consulted): each deployed SealedSecret through /v1/verify, each AgeSecret and SopsSecret
// against the recipients the controller serves for its rendered scope.
import { dirname, resolve } from "node:path";
import { parseAgeSecret } from "../api/age-secret.ts";
import { isRecord, ManifestError, parseSealedSecret } from "../api/sealed-secret.ts";
import { parseSopsSecret } from "../api/sops-secret.ts";
import { scopeFromAnnotations, type SealingScope } from "../crypto/scope.ts";
import { parseSopsDocument, parseSopsObject } from "../crypto/sops.ts";
import type { SourceDocument } from "./documents.ts";
import { sortFindings, type Finding } from "./finding.ts";
import { isRemote } from "./kustomization.ts";
import { classify, describeObject, identityOf, type CheckedKind } from "./objects.ts";
import { plainSecretFindings, secretGeneratorFindings } from "./plain-secret.ts";
import type { RenderedObject, Rendering, RendererName } from "./rendering.ts";
import { scopeFindings } from "./scope.ts";
import { ageSecretKeyFindings, sealedSecretKeyFindings, type ClusterKeys } from "./sealing-key.ts";
import { sopsRecipientFindings } from "./sops-recipients.ts";
import { indexStores, storeFindings } from "./stores.ts";
import { isKustomizationFile, type DiskTree } from "./tree.ts";

export type VerifyAnswer = { ok: true } | { ok: false; reason: string; message: string };

/** The controller, when check runs online. */
export interface OnlineController {
  /** What it is, for messages ("controller kube-system/sealed-secrets-controller"). */
  describe: string;
  verify(sealedSecret: Record<string, unknown>): Promise<VerifyAnswer>;
  ageRecipients(scope: SealingScope, namespace: string, name: string): Promise<string[]>;
}

export interface CheckOptions {
  paths: readonly string[];
  tree: DiskTree;
  keys: ClusterKeys;
  /** Renders an overlay directory; undefined: overlays are not rendered (--kustomize off). */
  render?: (root: string) => Promise<Rendering>;
  online?: OnlineController;
  concurrency?: number;
}

export interface CheckSummary {
  files: number;
  documents: number;
  objects: Partial<Record<CheckedKind, number>>;
  overlays: number;
  renderers: RendererName[];
  online: boolean;
}

export interface CheckResult {
  findings: Finding[];
  summary: CheckSummary;
}

/** Values found in the clear: a renderer's error message that quotes one gets it replaced. */
function collectSensitive(doc: SourceDocument, into: Set<string>): void {
  if (!isRecord(doc.value)) return;
  for (const field of ["data", "stringData"]) {
    const m = doc.value[field];
    if (isRecord(m)) for (const v of Object.values(m)) if (typeof v === "string" && v.length >= 4) into.add(v);
  }
  const gens = doc.value["secretGenerator"];
  if (Array.isArray(gens)) {
    for (const g of gens as unknown[]) {
      const lits = isRecord(g) ? g["literals"] : undefined;
      if (!Array.isArray(lits)) continue;
      for (const l of lits as unknown[]) {
        if (typeof l !== "string") continue;
        const v = l.slice(l.indexOf("=") + 1);
        if (v.length >= 4) into.add(v);
      }
    }
  }
}

export function redactor(sensitive: ReadonlySet<string>): (text: string) => string {
  const list = [...sensitive].sort((a, b) => b.length - a.length);
  return (text) => {
    let out = text;
    for (const s of list) if (out.includes(s)) out = out.split(s).join("[redacted]");
    return out;
  };
}

async function mapLimit<T, R>(items: readonly T[], limit: number, fn: (item: T) => Promise<R>): Promise<R[]> {
  const out: R[] = new Array<R>(items.length);
  let next = 0;
  const worker = async () => {
    for (let i = next++; i < items.length; i = next++) out[i] = await fn(items[i] as T);
  };
  await Promise.all(Array.from({ length: Math.max(1, Math.min(limit, items.length)) }, worker));
  return out;
}

function manifestFinding(doc: SourceDocument, object: string, err: ManifestError): Finding {
  return { rule: "invalid-manifest", severity: "error", file: doc.file, line: doc.line, object, message: err.message };
}

interface Deployed {
  obj: RenderedObject;
  /** The overlay, or undefined for a file outside any kustomization. */
  root?: string;
}

/** Runs every check; the only I/O is through the tree, the renderer and the online controller. */
export async function runCheck(opts: CheckOptions): Promise<CheckResult> {
  const { tree, keys } = opts;
  const findings: Finding[] = [];
  const summary: CheckSummary = { files: 0, documents: 0, objects: {}, overlays: 0, renderers: [], online: opts.online !== undefined };
  const walk = tree.walk(opts.paths);
  findings.push(...walk.findings);
  summary.files = walk.files.length;

  // Kustomizations under the paths: what they include, which of them are roots (included by none).
  const kustomizationDirs = walk.files.filter(isKustomizationFile).map((f) => dirname(f));
  const included = new Set<string>();
  const patches = new Set<string>();
  const includedDirs = new Set<string>();
  const components = new Set<string>();
  for (const dir of kustomizationDirs) {
    const loaded = tree.kustomizationIn(dir);
    if (loaded === undefined) continue;
    const k = loaded.kustomization;
    if (isRecord(loaded.doc.value) && loaded.doc.value["kind"] === "Component") components.add(dir);
    for (const entry of [...k.resources, ...k.components]) {
      if (isRemote(entry)) continue;
      const target = resolve(dir, entry);
      if (tree.pathKind(target) === "dir") includedDirs.add(target);
      else included.add(target);
    }
    for (const p of k.patchFiles) patches.add(resolve(dir, p));
  }
  const roots = [...new Set(kustomizationDirs)].filter((d) => !includedDirs.has(d) && !components.has(d));

  // Per file: parse, then what each document shows on its own.
  const sensitive = new Set<string>();
  const loose: RenderedObject[] = [];
  const clusterStoresAnywhere = new Set<string>();
  for (const file of walk.files) {
    const docs = tree.documents(file);
    if (!Array.isArray(docs)) {
      findings.push(docs);
      continue;
    }
    summary.documents += docs.length;
    if (isKustomizationFile(file)) {
      for (const d of docs) {
        collectSensitive(d, sensitive);
        findings.push(...secretGeneratorFindings(d));
      }
      continue;
    }
    if (patches.has(file)) continue;
    for (const doc of docs) {
      collectSensitive(doc, sensitive);
      const kind = classify(doc.value);
      if (kind === undefined) continue;
      summary.objects[kind] = (summary.objects[kind] ?? 0) + 1;
      if (kind === "ClusterSecretStore") clusterStoresAnywhere.add(identityOf(doc.value)?.name ?? "");
      // Online, the controller's verdict replaces the certificate comparison: it may still hold an older key.
      findings.push(...documentFindings(doc, kind, opts.online !== undefined ? { ...keys, certificates: [] } : keys, opts.online !== undefined));
      // Not rendering (--kustomize off): every file counts as applied as it is.
      if ((opts.render === undefined || !included.has(file)) && isRecord(doc.value)) loose.push({ value: doc.value, source: doc, transformations: [] });
    }
  }

  // Per overlay: render, then scopes and stores as rendered.
  const deployed: Deployed[] = loose.map((obj) => ({ obj }));
  // A loose object can still contradict what it records it was sealed for (renamed by hand).
  for (const obj of loose) findings.push(...scopeFindings(obj, { root: tree.cwd, display: (p) => tree.display(p) }));
  const units: { objects: RenderedObject[]; unit: string }[] = [];
  if (loose.length > 0) units.push({ objects: loose, unit: "the files outside any kustomization" });
  const render = opts.render;
  if (render !== undefined && roots.length > 0) {
    const renderings = await mapLimit(roots, opts.concurrency ?? 2, (root) => render(root));
    summary.overlays = renderings.length;
    for (const r of renderings) {
      if (!summary.renderers.includes(r.renderer)) summary.renderers.push(r.renderer);
      findings.push(...r.findings);
      const where = tree.kustomizationIn(r.root);
      for (const note of [...new Set(r.notes)]) {
        findings.push({ rule: "not-rendered", severity: "notice", file: where !== undefined ? tree.display(where.path) : tree.display(r.root), line: 0, message: note });
      }
      for (const obj of r.objects) {
        if (classify(obj.value) === "ClusterSecretStore") clusterStoresAnywhere.add(identityOf(obj.value)?.name ?? "");
        findings.push(...scopeFindings(obj, { root: r.root, display: (p) => tree.display(p) }));
        deployed.push({ obj, root: r.root });
      }
      units.push({ objects: r.objects, unit: `the rendered output of ${tree.display(r.root)}` });
    }
  }
  for (const u of units) {
    findings.push(...storeFindings(u.objects, indexStores(u.objects), { unit: u.unit, clusterStoresAnywhere, display: (p) => tree.display(p) }));
  }

  if (opts.online !== undefined) findings.push(...(await onlineFindings(deployed, opts.online, keys, opts.concurrency ?? 4)));
  // Messages from outside (a renderer's errors) never carry a value found in the clear.
  const redact = redactor(sensitive);
  return { findings: sortFindings(findings.map((f) => ({ ...f, message: redact(f.message) }))), summary };
}

/** What one committed document shows without rendering. */
function documentFindings(doc: SourceDocument, kind: CheckedKind, keys: ClusterKeys, online: boolean): Finding[] {
  const id = identityOf(doc.value);
  const object = id !== undefined ? describeObject(id) : kind;
  try {
    switch (kind) {
      case "Secret":
        return plainSecretFindings(doc);
      case "SealedSecret":
        return sealedSecretKeyFindings(doc, object, parseSealedSecret(doc.value, object), keys);
      case "AgeSecret": {
        const secret = parseAgeSecret(doc.value, object);
        // Online, the AgeSecret is compared with its rendered scope's recipients instead.
        if (online) return ageSecretKeyFindings(doc, object, secret, [], true).filter((f) => f.rule !== "age-unverifiable-offline");
        return ageSecretKeyFindings(doc, object, secret, keys.recipients, false);
      }
      case "SopsSecret": {
        const sops = parseSopsSecret(doc.value, object);
        if (online) return [];
        return sopsRecipientFindings({
          doc,
          object,
          parse: () => (sops.spec.document !== undefined ? parseSopsDocument(sops.spec.document, sops.spec.format) : parseSopsObject(sops.encryptedObject ?? {})),
          clusterRecipients: keys.recipients,
          identitySecrets: sops.spec.identitySecretRefs.map((r) => r.name),
          metadataPath: sops.spec.document !== undefined ? ["spec", "document"] : ["sops"],
          givenForScope: scopeFromAnnotations(sops.metadata.annotations),
        });
      }
      case "SopsFile":
        return sopsRecipientFindings({
          doc,
          object: id !== undefined && id.kind !== "" ? object : "SOPS file",
          parse: () => parseSopsObject(doc.value as Record<string, unknown>),
          clusterRecipients: keys.recipients,
          identitySecrets: [],
          metadataPath: ["sops"],
        });
      default:
        return [];
    }
  } catch (err) {
    if (err instanceof ManifestError) return [manifestFinding(doc, object, err)];
    throw err;
  }
}

/** Asks the controller about each deployed (rendered or loose) scoped object. */
async function onlineFindings(deployed: readonly Deployed[], controller: OnlineController, keys: ClusterKeys, concurrency: number): Promise<Finding[]> {
  const out: Finding[][] = await mapLimit(deployed, concurrency, async ({ obj, root }): Promise<Finding[]> => {
    const kind = classify(obj.value);
    const source = obj.source;
    const id = identityOf(obj.value);
    if (source === undefined || id === undefined) return [];
    const object = describeObject(id);
    const via = root !== undefined ? ` as rendered by the overlay` : "";
    try {
      if (kind === "SealedSecret") {
        const sealed = parseSealedSecret(obj.value, object);
        if (Object.keys(sealed.spec.encryptedData).length === 0) return [];
        const answer = await controller.verify(obj.value);
        if (answer.ok) return [];
        return [{ rule: "sealed-does-not-decrypt", severity: "error", file: source.file, line: source.line, object, message: `${controller.describe} cannot decrypt it${via}: ${answer.reason}: ${answer.message}` }];
      }
      if (kind === "AgeSecret" || kind === "SopsSecret") {
        const scope = scopeFromAnnotations(id === undefined ? undefined : (obj.value["metadata"] as { annotations?: Record<string, string> } | undefined)?.annotations);
        const fetched = await controller.ageRecipients(scope, id.namespace, id.name);
        const recipients = [...keys.recipients, ...fetched];
        if (kind === "AgeSecret") {
          const found = ageSecretKeyFindings(source, object, parseAgeSecret(obj.value, object), recipients, true).filter((f) => f.rule !== "sealed-invalid-ciphertext");
          return found.map((f) => (f.rule === "age-unknown-recipient" ? { ...f, message: `${f.message} (recipients from ${controller.describe} for ${scope} ${id.namespace}/${id.name}${via})` } : f));
        }
        const sops = parseSopsSecret(obj.value, object);
        return sopsRecipientFindings({
          doc: source,
          object,
          parse: () => (sops.spec.document !== undefined ? parseSopsDocument(sops.spec.document, sops.spec.format) : parseSopsObject(sops.encryptedObject ?? {})),
          clusterRecipients: recipients,
          identitySecrets: sops.spec.identitySecretRefs.map((r) => r.name),
          metadataPath: sops.spec.document !== undefined ? ["spec", "document"] : ["sops"],
        });
      }
    } catch (err) {
      if (err instanceof ManifestError) return root === undefined ? [] : [manifestFinding(source, object, err)];
      throw err;
    }
    return [];
  });
  return out.flat();
}
