// external-secrets.io/v1 ExternalSecret: the spec parsed into typed values with ESO's defaults
// applied here (the CRD carries no `default:`), and clear errors for fields sealbridge cannot honour.
// v1beta1 objects arrive here too, read as v1 (same stored shape): ESO's v1beta1 and v1 types are
// the same apart from what older v1beta1 releases allowed and v1 dropped, refused below by name.
import { DurationError, parseGoDuration } from "./go-duration.ts";
import { SpecError, bool, isObject, obj, objList, oneOf, requiredStr, str, strMap, type Json } from "./eso-fields.ts";
import type { EsoTemplateSpec, TemplateFromItem, TemplateFromSource } from "./eso-template.ts";
import { parseGeneratorRef, type GeneratorRef } from "./generator.ts";

export type StoreKind = "SecretStore" | "ClusterSecretStore";
export type CreationPolicy = "Owner" | "Orphan" | "Merge" | "None";
export type DeletionPolicy = "Retain" | "Delete" | "Merge";
export type RefreshPolicy = "Periodic" | "OnChange" | "CreatedOnce";
export type ConversionStrategy = "Default" | "Unicode";
export type DecodingStrategy = "None" | "Base64" | "Base64URL" | "Auto";
export type MetadataPolicy = "None" | "Fetch";

export interface StoreRef {
  name: string;
  kind: StoreKind;
}

export interface RemoteRefSpec {
  key: string;
  property?: string;
  version?: string;
  metadataPolicy: MetadataPolicy;
  conversionStrategy: ConversionStrategy;
  decodingStrategy: DecodingStrategy;
}

export interface DataItem {
  secretKey: string;
  remoteRef: RemoteRefSpec;
  /** sourceRef.storeRef overrides the ExternalSecret's store for this item. */
  storeRef?: StoreRef;
}

export type RewriteSpec = { regexp: { source: string; target: string } } | { transform: { template: string } };

export interface FindSpec {
  path?: string;
  nameRegexp?: string;
  tags?: Record<string, string>;
  conversionStrategy: ConversionStrategy;
  decodingStrategy: DecodingStrategy;
}

export type DataFromItem =
  | { extract: RemoteRefSpec; rewrite: RewriteSpec[]; storeRef?: StoreRef }
  | { find: FindSpec; rewrite: RewriteSpec[]; storeRef?: StoreRef }
  /** sourceRef.generatorRef: values made by a generator (a new value on each refresh). */
  | { generatorRef: GeneratorRef; rewrite: RewriteSpec[]; storeRef?: undefined };

/** A templateFrom entry before the controller resolves its ConfigMap/Secret. */
export interface TemplateFromSpec {
  target?: "Data" | "Annotations" | "Labels";
  configMap?: { name: string; items: TemplateFromItem[] };
  secret?: { name: string; items: TemplateFromItem[] };
  literal?: string;
}

export interface TargetTemplateSpec extends Omit<EsoTemplateSpec, "templateFrom"> {
  type?: string;
  templateFrom: TemplateFromSpec[];
}

export interface ExternalSecretSpec {
  storeRef?: StoreRef;
  target: {
    name?: string;
    creationPolicy: CreationPolicy;
    deletionPolicy: DeletionPolicy;
    immutable: boolean;
    template?: TargetTemplateSpec;
  };
  refreshPolicy: RefreshPolicy;
  /** Milliseconds; 0 = never refresh periodically. ESO's default is 1h. */
  refreshIntervalMs: number;
  data: DataItem[];
  dataFrom: DataFromItem[];
}

export const DEFAULT_REFRESH_INTERVAL_MS = 3_600_000;

export function parseExternalSecretSpec(raw: unknown): ExternalSecretSpec {
  if (!isObject(raw)) throw new SpecError("spec is required");
  const p = "spec";
  const storeRef = parseStoreRef(obj(raw, "secretStoreRef", p), `${p}.secretStoreRef`);
  const target = obj(raw, "target", p) ?? {};
  const tp = `${p}.target`;
  const creationPolicy = oneOf(target, "creationPolicy", tp, ["Owner", "Orphan", "Merge", "None"] as const) ?? "Owner";
  const deletionPolicy = oneOf(target, "deletionPolicy", tp, ["Retain", "Delete", "Merge"] as const) ?? "Retain";
  if (deletionPolicy === "Delete" && (creationPolicy === "Merge" || creationPolicy === "None")) {
    throw new SpecError(`${tp}.deletionPolicy Delete cannot be used with creationPolicy ${creationPolicy}`);
  }
  if (deletionPolicy === "Merge" && creationPolicy === "None") {
    throw new SpecError(`${tp}.deletionPolicy Merge cannot be used with creationPolicy None`);
  }
  const template = obj(target, "template", tp);
  const targetName = str(target, "name", tp);
  // ESO 2.x additions that change what is written or when: refused rather than silently ignored.
  if (target["manifest"] !== undefined) throw new SpecError(`${tp}.manifest (a target other than a Secret) is not supported by sealbridge`);
  if (raw["syncWindows"] !== undefined) throw new SpecError(`${p}.syncWindows is not supported by sealbridge`);

  let refreshIntervalMs = DEFAULT_REFRESH_INTERVAL_MS;
  const interval = str(raw, "refreshInterval", p);
  if (interval !== undefined) {
    try {
      refreshIntervalMs = Math.max(0, parseGoDuration(interval));
    } catch (err) {
      if (err instanceof DurationError) throw new SpecError(`${p}.refreshInterval: ${err.message}`);
      throw err;
    }
  }
  const data = objList(raw, "data", p).map(({ item, path }) => {
    const sourceRef = obj(item, "sourceRef", path);
    if (sourceRef && obj(sourceRef, "generatorRef", `${path}.sourceRef`)) {
      throw new SpecError(`${path}.sourceRef.generatorRef is not implemented in data[] (as in ESO); use dataFrom[].sourceRef.generatorRef`);
    }
    const itemStore = sourceRef ? parseSourceRef(sourceRef, `${path}.sourceRef`) : undefined;
    return {
      secretKey: requiredStr(item, "secretKey", path),
      remoteRef: parseRemoteRef(obj(item, "remoteRef", path), `${path}.remoteRef`),
      ...(itemStore ? { storeRef: itemStore } : {}),
    };
  });
  const dataFrom = objList(raw, "dataFrom", p).map(({ item, path }): DataFromItem => {
    const rewrite = objList(item, "rewrite", path).map(({ item: rw, path: rp }) => parseRewrite(rw, rp));
    const sourceRef = obj(item, "sourceRef", path);
    if (item["key"] !== undefined) {
      throw new SpecError(`${path}.key is the v1alpha1 form of dataFrom, which external-secrets.io v1beta1 and v1 do not read; write ${path}.extract.key instead`);
    }
    const extract = obj(item, "extract", path);
    const find = obj(item, "find", path);
    if (extract && find) throw new SpecError(`${path}: set only one of extract and find`);
    const generator = sourceRef ? obj(sourceRef, "generatorRef", `${path}.sourceRef`) : undefined;
    if (sourceRef && generator) {
      const gp = `${path}.sourceRef`;
      if (obj(sourceRef, "storeRef", gp)) throw new SpecError(`${gp}: set only one of storeRef and generatorRef`);
      if (extract || find) throw new SpecError(`${path}: ${extract ? "extract" : "find"} does not support sourceRef.generatorRef; use sourceRef.generatorRef alone`);
      return { generatorRef: parseGeneratorRef(generator, `${gp}.generatorRef`), rewrite };
    }
    const itemStore = sourceRef ? parseSourceRef(sourceRef, `${path}.sourceRef`) : undefined;
    const store = itemStore ? { storeRef: itemStore } : {};
    if (extract) return { extract: parseRemoteRef(extract, `${path}.extract`), rewrite, ...store };
    if (find) return { find: parseFind(find, `${path}.find`), rewrite, ...store };
    throw new SpecError(`${path}: one of extract, find or sourceRef.generatorRef is required`);
  });
  if (data.length === 0 && dataFrom.length === 0 && template === undefined) {
    throw new SpecError(`${p}: at least one of data, dataFrom or target.template is required`);
  }
  const needsStore = data.some((d) => !d.storeRef) || dataFrom.some((d) => !("generatorRef" in d) && !d.storeRef);
  if (needsStore && !storeRef) throw new SpecError(`${p}.secretStoreRef.name is required`);
  return {
    ...(storeRef ? { storeRef } : {}),
    target: {
      ...(targetName ? { name: targetName } : {}),
      creationPolicy,
      deletionPolicy,
      immutable: bool(target, "immutable", tp) ?? false,
      ...(template ? { template: parseTemplate(template, `${tp}.template`) } : {}),
    },
    refreshPolicy: oneOf(raw, "refreshPolicy", p, ["Periodic", "OnChange", "CreatedOnce"] as const) ?? "Periodic",
    refreshIntervalMs,
    data,
    dataFrom,
  };
}

function parseStoreRef(ref: Json | undefined, path: string): StoreRef | undefined {
  if (!ref) return undefined;
  const name = str(ref, "name", path);
  if (!name) return undefined;
  return { name, kind: oneOf(ref, "kind", path, ["SecretStore", "ClusterSecretStore"] as const) ?? "SecretStore" };
}

function parseSourceRef(ref: Json, path: string): StoreRef | undefined {
  return parseStoreRef(obj(ref, "storeRef", path), `${path}.storeRef`);
}

function strategies(ref: Json, path: string): { conversionStrategy: ConversionStrategy; decodingStrategy: DecodingStrategy } {
  return {
    conversionStrategy: oneOf(ref, "conversionStrategy", path, ["Default", "Unicode"] as const) ?? "Default",
    decodingStrategy: oneOf(ref, "decodingStrategy", path, ["None", "Base64", "Base64URL", "Auto"] as const) ?? "None",
  };
}

function parseRemoteRef(ref: Json | undefined, path: string): RemoteRefSpec {
  if (!ref) throw new SpecError(`${path} is required`);
  const property = str(ref, "property", path);
  const version = str(ref, "version", path);
  return {
    key: requiredStr(ref, "key", path),
    ...(property ? { property } : {}),
    ...(version ? { version } : {}),
    metadataPolicy: oneOf(ref, "metadataPolicy", path, ["None", "Fetch"] as const) ?? "None",
    ...strategies(ref, path),
  };
}

function parseFind(find: Json, path: string): FindSpec {
  const name = obj(find, "name", path);
  const nameRegexp = name ? str(name, "regexp", `${path}.name`) : undefined;
  const findPath = str(find, "path", path);
  const tags = strMap(find, "tags", path);
  if (!nameRegexp && !tags && !findPath) throw new SpecError(`${path}: one of name, tags or path is required`);
  return {
    ...(findPath ? { path: findPath } : {}),
    ...(nameRegexp ? { nameRegexp } : {}),
    ...(tags ? { tags } : {}),
    ...strategies(find, path),
  };
}

function parseRewrite(rw: Json, path: string): RewriteSpec {
  const regexp = obj(rw, "regexp", path);
  const transform = obj(rw, "transform", path);
  if (obj(rw, "merge", path)) throw new SpecError(`${path}.merge is not supported by sealbridge yet`);
  if (regexp && transform) throw new SpecError(`${path}: set only one of regexp and transform`);
  if (regexp) {
    const rp = `${path}.regexp`;
    const target = regexp["target"];
    if (typeof target !== "string") throw new SpecError(`${rp}.target is required`);
    return { regexp: { source: requiredStr(regexp, "source", rp), target } };
  }
  if (transform) return { transform: { template: requiredStr(transform, "template", `${path}.transform`) } };
  throw new SpecError(`${path}: one of regexp or transform is required`);
}

function parseTemplate(t: Json, path: string): TargetTemplateSpec {
  const engineVersion = oneOf(t, "engineVersion", path, ["v2", "v1"] as const);
  if (engineVersion === "v1") {
    throw new SpecError(`${path}.engineVersion v1 is not supported: external-secrets.io v1 removed it (v1beta1 manifests for ESO before v0.16 may still set it); port the template to v2`);
  }
  const mergePolicy = oneOf(t, "mergePolicy", path, ["Replace", "Merge"] as const);
  const metadata = obj(t, "metadata", path);
  const labels = metadata ? strMap(metadata, "labels", `${path}.metadata`) : undefined;
  const annotations = metadata ? strMap(metadata, "annotations", `${path}.metadata`) : undefined;
  const data = strMap(t, "data", path);
  const type = str(t, "type", path);
  const templateFrom = objList(t, "templateFrom", path).map(({ item, path: fp }): TemplateFromSpec => {
    const target = oneOf(item, "target", fp, ["Data", "Annotations", "Labels"] as const);
    const literal = item["literal"];
    if (literal !== undefined && literal !== null && typeof literal !== "string") throw new SpecError(`${fp}.literal must be a string`);
    const ref = (key: "configMap" | "secret") => {
      const r = obj(item, key, fp);
      if (!r) return undefined;
      const rp = `${fp}.${key}`;
      return {
        name: requiredStr(r, "name", rp),
        items: objList(r, "items", rp).map(({ item: it, path: ip }) => {
          const templateAs = oneOf(it, "templateAs", ip, ["Values", "KeysAndValues"] as const);
          return { key: requiredStr(it, "key", ip), ...(templateAs ? { templateAs } : {}) };
        }),
      };
    };
    const configMap = ref("configMap");
    const secret = ref("secret");
    return {
      ...(target ? { target } : {}),
      ...(configMap ? { configMap } : {}),
      ...(secret ? { secret } : {}),
      ...(typeof literal === "string" ? { literal } : {}),
    };
  });
  return {
    ...(type ? { type } : {}),
    engineVersion: "v2",
    ...(mergePolicy ? { mergePolicy } : {}),
    ...(labels || annotations ? { metadata: { ...(labels ? { labels } : {}), ...(annotations ? { annotations } : {}) } } : {}),
    ...(data ? { data } : {}),
    templateFrom,
  };
}

/** Resolves templateFrom references with the data of the named ConfigMaps/Secrets. */
export function resolveTemplateFrom(
  spec: readonly TemplateFromSpec[],
  lookup: (kind: "configMap" | "secret", name: string) => Readonly<Record<string, string>>,
): TemplateFromSource[] {
  return spec.map((from) => ({
    ...(from.target ? { target: from.target } : {}),
    ...(from.configMap ? { configMap: { data: lookup("configMap", from.configMap.name), items: from.configMap.items } } : {}),
    ...(from.secret ? { secret: { data: lookup("secret", from.secret.name), items: from.secret.items } } : {}),
    ...(from.literal !== undefined ? { literal: from.literal } : {}),
  }));
}
