// Where one input Secret is sealed for (name, namespace, scope) and the metadata its template keeps,
// decided the way kubeseal decides it; shared by RSA and age sealing.
import type { ObjectMeta } from "../api/sealed-secret.ts";
import { scopeFromAnnotations, withScopeAnnotations, type SealingScope } from "../crypto/scope.ts";
import { CliError } from "./io.ts";
import type { ResolvedNamespace } from "./kube-connection.ts";
import type { SecretManifest } from "./manifests.ts";

const LAST_APPLIED_ANNOTATIONS = [
  "kubectl.kubernetes.io/last-applied-configuration",
  "kubecfg.ksonnet.io/last-applied-configuration",
];

export function secretLabel(secret: SecretManifest, index: number): string {
  return secret.metadata.name !== undefined ? `Secret "${secret.metadata.name}"` : `Secret #${index + 1}`;
}

export interface SealTarget {
  name: string;
  namespace: string;
  scope: SealingScope;
  /** The Secret's metadata for spec.template (server fields, last-applied and owners removed). */
  template: ObjectMeta;
}

export interface SealTargetOptions {
  scope?: SealingScope | undefined;
  allowEmptyData: boolean;
  defaultNamespace?: ResolvedNamespace | undefined;
  overrideName?: string | undefined;
  overrideNamespace?: string | undefined;
}

/** Where one input Secret is sealed for (name, namespace, scope) and the template metadata, as kubeseal decides. */
export function sealTarget(input: SecretManifest, index: number, opts: SealTargetOptions): SealTarget {
  const where = secretLabel(input, index);
  if (
    Object.keys(input.data).length === 0 &&
    Object.keys(input.stringData).length === 0 &&
    !opts.allowEmptyData
  ) {
    throw new CliError(
      `${where}: data is empty, assuming this is an error and aborting (use --allow-empty-data to seal it anyway)`,
    );
  }
  const meta: ObjectMeta = { ...input.metadata };
  if (opts.overrideName !== undefined && opts.overrideName !== "") meta.name = opts.overrideName;
  const name = meta.name ?? "";
  if (name === "") throw new CliError(`${where}: missing metadata.name`);
  if (opts.overrideNamespace !== undefined && opts.overrideNamespace !== "") meta.namespace = opts.overrideNamespace;
  if (opts.scope !== undefined) meta.annotations = withScopeAnnotations(meta.annotations, opts.scope);
  const scope = scopeFromAnnotations(meta.annotations);
  if (scope !== "cluster-wide") {
    const ns = opts.defaultNamespace;
    if (ns?.explicit === true && meta.namespace !== undefined && meta.namespace !== "" && meta.namespace !== ns.namespace) {
      throw new CliError(
        `Secret "${name}": namespace mismatch: input secret is in namespace "${meta.namespace}" but "${ns.namespace}" was specified`,
      );
    }
    if ((meta.namespace ?? "") === "" && ns !== undefined) meta.namespace = ns.namespace;
    if ((meta.namespace ?? "") === "") {
      throw new CliError(
        `Secret "${name}": no namespace for scope ${scope}: set metadata.namespace, pass -n/--namespace, or use --scope cluster-wide`,
      );
    }
  }
  // Read-only server-side fields never go into a manifest.
  for (const key of [
    "selfLink",
    "uid",
    "resourceVersion",
    "generation",
    "creationTimestamp",
    "deletionTimestamp",
    "deletionGracePeriodSeconds",
  ] as const) {
    delete meta[key];
  }
  const template: ObjectMeta = { ...meta };
  if (template.annotations !== undefined) {
    // A last-applied annotation holds the whole Secret in clear text: never carry it over.
    const annotations = { ...template.annotations };
    for (const key of LAST_APPLIED_ANNOTATIONS) delete annotations[key];
    template.annotations = annotations;
  }
  delete template.ownerReferences;
  return { name, namespace: meta.namespace ?? "", scope, template };
}

