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
  /** The storage version, the one the controller reads and watches. */
  version: string;
  /**
   * Older versions served beside it with the same schema and conversion strategy None (the API
   * server only rewrites apiVersion, so no webhook): a manifest in any of them is stored as
   * `version` and read back in it. Fields only an older version had are handled in src/api.
   */
  alsoServed?: readonly string[];
  kind: string;
  plural: string;
  singular: string;
  shortNames?: readonly string[];
  categories?: readonly string[];
  scope: "Namespaced" | "Cluster";
  schema: JsonSchema;
  printerColumns: readonly { name: string; type: string; jsonPath: string; priority?: number }[];
}

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
    // sealbridge's bookkeeping of the target Secret (see SecretRecord in api/sealed-secret.ts).
    secret: {
      type: "object",
      properties: {
        resourceVersion: { type: "string" },
        sourceHash: { type: "string" },
        keys: { type: "array", items: { type: "string" } },
      },
    },
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
    // sealbridge sets it on ExternalSecrets (ESO does not) so kstatus sees a stale Ready as InProgress.
    observedGeneration: { type: "integer" },
    conditions: { type: "array", items: condition },
    refreshTime: { type: "string", format: "date-time" },
    syncedResourceVersion: { type: "string" },
    binding: { type: "object", properties: { name: { type: "string" } } },
    capabilities: { type: "string" },
  },
  "x-kubernetes-preserve-unknown-fields": true,
};

// external-secrets.io schemas. Fields sealbridge reads are typed here with ESO's own enums and
// required lists (minus what ESO fills with `default:`, which we apply in src/api instead), so a
// typo in a value is refused at apply time as ESO refuses it. Every object also keeps unknown fields
// (x-kubernetes-preserve-unknown-fields): ESO has many fields and providers sealbridge does not
// implement, and a manifest written for ESO must apply unchanged, after which src/api reports what we
// cannot honour as Ready=False. Pruning them instead would silently change the object (GitOps drift).
const string: JsonSchema = { type: "string" };
const strings: JsonSchema = { type: "array", items: string };
const stringMap: JsonSchema = { type: "object", additionalProperties: string };

/** An object that types the fields named and keeps any others. */
function known(properties: Record<string, JsonSchema>, required?: readonly string[]): JsonSchema {
  return {
    type: "object",
    ...(Object.keys(properties).length > 0 ? { properties } : {}),
    ...(required ? { required } : {}),
    "x-kubernetes-preserve-unknown-fields": true,
  };
}

const conversionStrategy: JsonSchema = { type: "string", enum: ["Default", "Unicode"] };
const decodingStrategy: JsonSchema = { type: "string", enum: ["Auto", "Base64", "Base64URL", "None"] };
const storeRef: JsonSchema = known({ name: string, kind: { type: "string", enum: ["SecretStore", "ClusterSecretStore"] } });
const sourceRef: JsonSchema = known({ storeRef, generatorRef: known({ apiVersion: string, kind: string, name: string }, ["kind", "name"]) });
const remoteRef: JsonSchema = known(
  {
    key: string,
    property: string,
    version: string,
    metadataPolicy: { type: "string", enum: ["None", "Fetch"] },
    conversionStrategy,
    decodingStrategy,
  },
  ["key"],
);
const templateRef: JsonSchema = known(
  { name: string, items: { type: "array", items: known({ key: string, templateAs: { type: "string", enum: ["Values", "KeysAndValues"] } }, ["key"]) } },
  ["name", "items"],
);
const targetTemplate: JsonSchema = known({
  type: string,
  engineVersion: { type: "string", enum: ["v1", "v2"] },
  mergePolicy: { type: "string", enum: ["Replace", "Merge"] },
  metadata: known({ labels: stringMap, annotations: stringMap }),
  data: stringMap,
  templateFrom: { type: "array", items: known({ target: string, configMap: templateRef, secret: templateRef, literal: string }) },
});

const externalSecretSpec: JsonSchema = known({
  secretStoreRef: storeRef,
  target: known({
    name: string,
    creationPolicy: { type: "string", enum: ["Owner", "Orphan", "Merge", "None", "CreateOrMerge"] },
    deletionPolicy: { type: "string", enum: ["Delete", "Merge", "Retain"] },
    immutable: { type: "boolean" },
    template: targetTemplate,
  }),
  refreshPolicy: { type: "string", enum: ["CreatedOnce", "Periodic", "OnChange"] },
  refreshInterval: string,
  data: { type: "array", items: known({ secretKey: string, remoteRef, sourceRef }, ["secretKey", "remoteRef"]) },
  dataFrom: {
    type: "array",
    items: known({
      extract: remoteRef,
      find: known({ path: string, name: known({ regexp: string }), tags: stringMap, conversionStrategy, decodingStrategy }),
      rewrite: {
        type: "array",
        items: known({
          regexp: known({ source: string, target: string }, ["source", "target"]),
          transform: known({ template: string }, ["template"]),
          merge: known({}),
        }),
      },
      sourceRef,
    }),
  },
});

const secretKeyRef: JsonSchema = known({ name: string, key: string, namespace: string });
const serviceAccountRef: JsonSchema = known({ name: string, namespace: string, audiences: strings }, ["name"]);

const awsProvider: JsonSchema = known(
  {
    service: { type: "string", enum: ["SecretsManager", "ParameterStore", "CertificateManager"] },
    region: string,
    role: string,
    additionalRoles: strings,
    externalID: string,
    prefix: string,
    secretsManager: known({ forceDeleteWithoutRecovery: { type: "boolean" }, recoveryWindowInDays: { type: "integer" } }),
    auth: known({
      secretRef: known({ accessKeyIDSecretRef: secretKeyRef, secretAccessKeySecretRef: secretKeyRef, sessionTokenSecretRef: secretKeyRef }),
      jwt: known({ serviceAccountRef }),
    }),
  },
  ["region", "service"],
);

const vaultProvider: JsonSchema = known(
  {
    server: string,
    path: string,
    version: { type: "string", enum: ["v1", "v2"] },
    namespace: string,
    caBundle: string,
    caProvider: known({ type: { type: "string", enum: ["Secret", "ConfigMap"] }, name: string, key: string, namespace: string }, ["name"]),
    auth: known({
      tokenSecretRef: secretKeyRef,
      appRole: known({ path: string, roleId: string, roleRef: secretKeyRef, secretRef: secretKeyRef }, ["secretRef"]),
      kubernetes: known({ mountPath: string, role: string, serviceAccountRef, secretRef: secretKeyRef }, ["role"]),
      jwt: known({
        path: string,
        role: string,
        secretRef: secretKeyRef,
        kubernetesServiceAccountToken: known({ serviceAccountRef, audiences: strings, expirationSeconds: { type: "integer" } }, ["serviceAccountRef"]),
      }),
    }),
  },
  ["server"],
);

const labelSelector: JsonSchema = known({
  matchLabels: stringMap,
  matchExpressions: { type: "array", items: known({ key: string, operator: string, values: strings }, ["key", "operator"]) },
});

const secretStoreSpec: JsonSchema = known(
  {
    controller: string,
    // Other providers are kept as written and get Ready=False from the store reconciler.
    provider: known({ aws: awsProvider, vault: vaultProvider }),
    refreshInterval: { "x-kubernetes-int-or-string": true },
    conditions: { type: "array", items: known({ namespaceSelector: labelSelector, namespaces: strings, namespaceRegexes: strings }) },
  },
  ["provider"],
);

// ESO served v1beta1 beside v1 up to v0.16 with identical types; most Git repos still hold it.
const esoOlderVersions = ["v1beta1"] as const;

export const externalSecretCrd: CrdSpec = {
  group: "external-secrets.io",
  version: "v1",
  alsoServed: esoOlderVersions,
  kind: "ExternalSecret",
  plural: "externalsecrets",
  singular: "externalsecret",
  shortNames: ["es"],
  categories: ["external-secrets"],
  scope: "Namespaced",
  schema: { type: "object", properties: { spec: externalSecretSpec, status: esoStatus } },
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
  alsoServed: esoOlderVersions,
  kind: "SecretStore",
  plural: "secretstores",
  singular: "secretstore",
  shortNames: ["ss"],
  categories: ["external-secrets"],
  scope: "Namespaced",
  schema: { type: "object", properties: { spec: secretStoreSpec, status: esoStatus } },
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

/** ESO's ClusterExternalSecret: one ExternalSecret per selected namespace (src/api/cluster-external-secret.ts). */
export const clusterExternalSecretCrd: CrdSpec = {
  group: "external-secrets.io",
  version: "v1",
  kind: "ClusterExternalSecret",
  // ESO v0.16 served v1beta1 beside v1 with the same shape; Git repos from then hold v1beta1.
  alsoServed: esoOlderVersions,
  plural: "clusterexternalsecrets",
  singular: "clusterexternalsecret",
  shortNames: ["ces"],
  categories: ["external-secrets"],
  scope: "Cluster",
  schema: {
    type: "object",
    properties: {
      spec: known(
        {
          externalSecretSpec: externalSecretSpec,
          externalSecretName: string,
          externalSecretMetadata: known({ labels: stringMap, annotations: stringMap }),
          namespaceSelector: labelSelector,
          namespaceSelectors: { type: "array", items: labelSelector },
          namespaces: strings,
          refreshTime: string,
        },
        ["externalSecretSpec"],
      ),
      status: {
        type: "object",
        properties: {
          externalSecretName: string,
          failedNamespaces: { type: "array", items: known({ namespace: string, reason: string }, ["namespace"]) },
          provisionedNamespaces: strings,
          conditions: { type: "array", items: condition },
        },
        "x-kubernetes-preserve-unknown-fields": true,
      },
    },
  },
  printerColumns: [
    { name: "Store", type: "string", jsonPath: ".spec.externalSecretSpec.secretStoreRef.name" },
    { name: "Refresh Interval", type: "string", jsonPath: ".spec.refreshTime" },
    { name: "Ready", type: "string", jsonPath: ".status.conditions[?(@.type==\"Ready\")].status" },
  ],
};

/** ESO's Password generator (generators.external-secrets.io), used through dataFrom[].sourceRef.generatorRef. */
export const passwordCrd: CrdSpec = {
  group: "generators.external-secrets.io",
  version: "v1alpha1",
  kind: "Password",
  plural: "passwords",
  singular: "password",
  categories: ["external-secrets", "external-secrets-generators"],
  scope: "Namespaced",
  schema: {
    type: "object",
    properties: {
      spec: known({
        length: { type: "integer" },
        digits: { type: "integer" },
        symbols: { type: "integer" },
        symbolCharacters: string,
        noUpper: { type: "boolean" },
        allowRepeat: { type: "boolean" },
        secretKeys: strings,
        encoding: { type: "string", enum: ["base64", "base64url", "base32", "hex", "raw"] },
      }),
      status: { type: "object", "x-kubernetes-preserve-unknown-fields": true },
    },
  },
  printerColumns: [
    { name: "Length", type: "integer", jsonPath: ".spec.length" },
    { name: "Encoding", type: "string", jsonPath: ".spec.encoding" },
    { name: "Age", type: "date", jsonPath: ".metadata.creationTimestamp" },
  ],
};

const pushStoreRef: JsonSchema = known({ name: string, kind: { type: "string", enum: ["SecretStore", "ClusterSecretStore"] }, labelSelector });

const pushSecretSpec: JsonSchema = known(
  {
    refreshInterval: string,
    secretStoreRefs: { type: "array", items: pushStoreRef },
    updatePolicy: { type: "string", enum: ["Replace", "IfNotExists"] },
    deletionPolicy: { type: "string", enum: ["Delete", "None"] },
    selector: known({ secret: known({ name: string, selector: labelSelector }), generatorRef: known({}) }),
    data: {
      type: "array",
      items: known(
        {
          match: known({ secretKey: string, remoteRef: known({ remoteKey: string, property: string }, ["remoteKey"]) }, ["remoteRef"]),
          metadata: { type: "object", "x-kubernetes-preserve-unknown-fields": true },
          conversionStrategy: { type: "string", enum: ["None", "ReverseUnicode"] },
        },
        ["match"],
      ),
    },
  },
  ["secretStoreRefs", "selector"],
);

/** external-secrets.io/v1alpha1 PushSecret: a Secret's values written to a provider (src/api/push-secret.ts). */
export const pushSecretCrd: CrdSpec = {
  group: "external-secrets.io",
  version: "v1alpha1",
  kind: "PushSecret",
  plural: "pushsecrets",
  singular: "pushsecret",
  shortNames: ["ps"],
  categories: ["external-secrets"],
  scope: "Namespaced",
  schema: {
    type: "object",
    properties: {
      spec: pushSecretSpec,
      status: {
        type: "object",
        properties: {
          conditions: { type: "array", items: condition },
          refreshTime: { type: "string", format: "date-time" },
          syncedResourceVersion: { type: "string" },
          syncedPushSecrets: { type: "object", "x-kubernetes-preserve-unknown-fields": true },
        },
        "x-kubernetes-preserve-unknown-fields": true,
      },
    },
  },
  printerColumns: [
    { name: "AGE", type: "date", jsonPath: ".metadata.creationTimestamp" },
    { name: "Status", type: "string", jsonPath: ".status.conditions[?(@.type==\"Ready\")].reason" },
    { name: "Last Sync", type: "date", jsonPath: ".status.refreshTime" },
  ],
};

export const allCrds: readonly CrdSpec[] = [
  sealedSecretCrd,
  ageSecretCrd,
  sopsSecretCrd,
  externalSecretCrd,
  secretStoreCrd,
  clusterSecretStoreCrd,
  clusterExternalSecretCrd,
  passwordCrd,
  pushSecretCrd,
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
      versions: [spec.version, ...(spec.alsoServed ?? [])].map((name) => ({
        name,
        served: true,
        storage: name === spec.version,
        subresources: { status: {} },
        additionalPrinterColumns: spec.printerColumns.map((c) => ({ ...c })),
        schema: { openAPIV3Schema: spec.schema },
      })),
      ...(spec.alsoServed?.length ? { conversion: { strategy: "None" } } : {}),
    },
  };
}
