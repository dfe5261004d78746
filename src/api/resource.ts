// How an API resource is addressed (group, version, plural, scope): what the kube port takes.

export interface Resource {
  group: string; // "" for the core API
  version: string;
  kind: string;
  plural: string;
  namespaced: boolean;
}
