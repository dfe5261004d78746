// The shape of an ExternalSecret's target.template as the renderer (src/template/eso.ts) takes it:
// API types, so src/api needs nothing from the template engine.

export type TemplateScope = "Values" | "KeysAndValues";
export type TemplateTarget = "Data" | "Annotations" | "Labels";

export interface TemplateFromItem {
  key: string;
  templateAs?: TemplateScope;
}

/** One templateFrom entry; the controller resolves configMap/secret references to their data first. */
export interface TemplateFromSource {
  target?: TemplateTarget;
  /** Resolved data of the referenced ConfigMap (or Secret, decoded) and the items to use. */
  configMap?: { data: Readonly<Record<string, string>>; items: readonly TemplateFromItem[] };
  secret?: { data: Readonly<Record<string, string>>; items: readonly TemplateFromItem[] };
  literal?: string;
}

export interface EsoTemplateSpec {
  engineVersion?: "v2";
  mergePolicy?: "Replace" | "Merge";
  metadata?: { labels?: Readonly<Record<string, string>>; annotations?: Readonly<Record<string, string>> };
  data?: Readonly<Record<string, string>>;
  templateFrom?: readonly TemplateFromSource[];
}

