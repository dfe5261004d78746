// CustomResourceDefinitions for every kind sealbridge serves. `npm run crds` writes them to crds/;
// the sandbox control plane and the tests install them from here.
//
// Schemas are structural and carry no `default:` values: server-side defaults would make GitOps
// tools report drift between Git and the cluster.

export type JsonSchema = {
  type?: "object" | "array" | "string" | "integer" | "number" | "boolean";
  description?: string;
  format?: string;
  enum?: readonly string[];
  properties?: Record<string, JsonSchema>;
  additionalProperties?: JsonSchema | boolean;
  items?: JsonSchema;
  required?: readonly string[];
  "x-kubernetes-preserve-unknown-fields"?: boolean;
  "x-kubernetes-int-or-string"?: boolean;
  "x-kubernetes-map-type"?: "atomic" | "granular";
  "x-kubernetes-embedded-resource"?: boolean;
};

export interface CrdSpec {
  group: string;
  version: string;
  kind: string;
  plural: string;
  singular: string;
  shortNames?: readonly string[];
  categories?: readonly string[];
  scope: "Namespaced" | "Cluster";
  schema: JsonSchema;
  printerColumns: readonly { name: string; type: string; jsonPath: string; priority?: number }[];
}

const open: JsonSchema = { type: "object", "x-kubernetes-preserve-unknown-fields": true };

const condition: JsonSchema = {
  type: "object",
  required: ["type", "status"],
  properties: {
    type: { type: "string" },
    status: { type: "string" },
    reason: { type: "string" },
    message: { type: "string" },
    lastTransitionTime: { type: "string", format: "date-time" },
    lastUpdateTime: { type: "string", format: "date-time" },
    observedGeneration: { type: "integer" },
  },
};

/** `spec.template` as Sealed Secrets defines it: the metadata and shape of the Secret to create. */
const secretTemplate: JsonSchema = {
  type: "object",
  properties: {
    metadata: { type: "object", "x-kubernetes-preserve-unknown-fields": true },
    type: { type: "string" },
    immutable: { type: "boolean" },
    data: { type: "object", additionalProperties: { type: "string" } },
  },
};

const sealedStatus: JsonSchema = {
  type: "object",
  properties: {
    observedGeneration: { type: "integer" },
    conditions: { type: "array", items: condition },
  },
  "x-kubernetes-preserve-unknown-fields": true,
};

const syncedColumns = [
  { name: "Status", type: "string", jsonPath: ".status.conditions[0].message" },
  { name: "Synced", type: "string", jsonPath: ".status.conditions[0].status" },
  { name: "Reason", type: "string", jsonPath: ".status.conditions[0].reason" },
  { name: "Age", type: "date", jsonPath: ".metadata.creationTimestamp" },
] as const;

export const sealedSecretCrd: CrdSpec = {
  group: "bitnami.com",
  version: "v1alpha1",
  kind: "SealedSecret",
  plural: "sealedsecrets",
  singular: "sealedsecret",
  scope: "Namespaced",
  schema: {
    type: "object",
    required: ["spec"],
    properties: {
      spec: {
        type: "object",
        properties: {
          // Deprecated Sealed Secrets v1 form: one sealed blob of a whole Secret.
          data: { type: "string", format: "byte" },
          encryptedData: { type: "object", additionalProperties: { type: "string" } },
          template: secretTemplate,
        },
      },
      status: sealedStatus,
    },
  },
  printerColumns: syncedColumns,
};

export const ageSecretCrd: CrdSpec = {
  group: "sealbridge.dev",
  version: "v1alpha1",
  kind: "AgeSecret",
  plural: "agesecrets",
  singular: "agesecret",
  categories: ["sealbridge"],
  scope: "Namespaced",
  schema: {
    type: "object",
    required: ["spec"],
    properties: {
      spec: {
        type: "object",
        required: ["encryptedData"],
        properties: {
          encryptedData: { type: "object", additionalProperties: { type: "string" } },
          template: secretTemplate,
        },
      },
      status: sealedStatus,
    },
  },
  printerColumns: syncedColumns,
};

/**
 * A SOPS document (encrypted with `sops --age`) that becomes a Secret; see src/api/sops-secret.ts.
 * Either spec.document holds the file as committed (its MAC is verified), or the SopsSecret itself is
 * the SOPS file (top-level `sops` metadata, encrypted spec.data / spec.stringData; MAC not checkable).
 */
export const sopsSecretCrd: CrdSpec = {
  group: "sealbridge.dev",
  version: "v1alpha1",
  kind: "SopsSecret",
  plural: "sopssecrets",
  singular: "sopssecret",
  categories: ["sealbridge"],
  scope: "Namespaced",
  schema: {
    type: "object",
    required: ["spec"],
    properties: {
      spec: {
        type: "object",
        properties: {
          document: { type: "string", description: "The SOPS-encrypted file exactly as committed (YAML, JSON or dotenv)." },
          format: { type: "string", enum: ["yaml", "json", "dotenv"], description: "Format of spec.document; detected when omitted." },
          identitySecretRefs: {
            type: "array",
            description: "Secrets in this namespace whose age.key and *.agekey entries hold age identities.",
            items: { type: "object", required: ["name"], properties: { name: { type: "string" } } },
          },
          data: { type: "object", "x-kubernetes-preserve-unknown-fields": true, description: "Structured form: base64 values encrypted in place by sops." },
          stringData: { type: "object", "x-kubernetes-preserve-unknown-fields": true, description: "Structured form: values encrypted in place by sops." },
          template: secretTemplate,
        },
      },
      sops: { type: "object", "x-kubernetes-preserve-unknown-fields": true, description: "SOPS metadata when the SopsSecret itself is the encrypted file." },
      status: sealedStatus,
    },
  },
  printerColumns: syncedColumns,
};

const readyColumns = [
  { name: "Store", type: "string", jsonPath: ".spec.secretStoreRef.name" },
  { name: "Refresh Interval", type: "string", jsonPath: ".spec.refreshInterval" },
  { name: "Status", type: "string", jsonPath: ".status.conditions[?(@.type==\"Ready\")].reason" },
  { name: "Ready", type: "string", jsonPath: ".status.conditions[?(@.type==\"Ready\")].status" },
] as const;

const esoStatus: JsonSchema = {
  type: "object",
  properties: {
    conditions: { type: "array", items: condition },
    refreshTime: { type: "string", format: "date-time" },
    syncedResourceVersion: { type: "string" },
    binding: { type: "object", properties: { name: { type: "string" } } },
    capabilities: { type: "string" },
  },
  "x-kubernetes-preserve-unknown-fields": true,
};

export const externalSecretCrd: CrdSpec = {
  group: "external-secrets.io",
  version: "v1",
  kind: "ExternalSecret",
  plural: "externalsecrets",
  singular: "externalsecret",
  shortNames: ["es"],
  categories: ["external-secrets"],
  scope: "Namespaced",
  schema: {
    type: "object",
    properties: {
      // ESO's spec is large; sealbridge parses and validates it in src/api and reports problems
      // in status, so the schema accepts ESO's manifests unchanged.
      spec: open,
      status: esoStatus,
    },
  },
  printerColumns: readyColumns,
};

const storeColumns = [
  { name: "Age", type: "date", jsonPath: ".metadata.creationTimestamp" },
  { name: "Status", type: "string", jsonPath: ".status.conditions[?(@.type==\"Ready\")].reason" },
  { name: "Capabilities", type: "string", jsonPath: ".status.capabilities" },
  { name: "Ready", type: "string", jsonPath: ".status.conditions[?(@.type==\"Ready\")].status" },
] as const;

export const secretStoreCrd: CrdSpec = {
  group: "external-secrets.io",
  version: "v1",
  kind: "SecretStore",
  plural: "secretstores",
  singular: "secretstore",
  shortNames: ["ss"],
  categories: ["external-secrets"],
  scope: "Namespaced",
  schema: { type: "object", properties: { spec: open, status: esoStatus } },
  printerColumns: storeColumns,
};

export const clusterSecretStoreCrd: CrdSpec = {
  ...secretStoreCrd,
  kind: "ClusterSecretStore",
  plural: "clustersecretstores",
  singular: "clustersecretstore",
  shortNames: ["css"],
  scope: "Cluster",
};

export const allCrds: readonly CrdSpec[] = [
  sealedSecretCrd,
  ageSecretCrd,
  sopsSecretCrd,
  externalSecretCrd,
  secretStoreCrd,
  clusterSecretStoreCrd,
];

/** The CustomResourceDefinition manifest for one kind. */
export function crdManifest(spec: CrdSpec): Record<string, unknown> {
  const names: Record<string, unknown> = {
    kind: spec.kind,
    listKind: `${spec.kind}List`,
    plural: spec.plural,
    singular: spec.singular,
  };
  if (spec.shortNames) names["shortNames"] = [...spec.shortNames];
  if (spec.categories) names["categories"] = [...spec.categories];
  return {
    apiVersion: "apiextensions.k8s.io/v1",
    kind: "CustomResourceDefinition",
    metadata: { name: `${spec.plural}.${spec.group}` },
    spec: {
      group: spec.group,
      names,
      scope: spec.scope,
      versions: [
        {
          name: spec.version,
          served: true,
          storage: true,
          subresources: { status: {} },
          additionalPrinterColumns: spec.printerColumns.map((c) => ({ ...c })),
          schema: { openAPIV3Schema: spec.schema },
        },
      ],
    },
  };
}
