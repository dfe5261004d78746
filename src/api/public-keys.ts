// The public-keys ConfigMap's layout: what the controller publishes (controller/keys/public-keys.ts)
// and `sealbridge seal` reads when the service proxy is refused (cli/controller-client.ts).

export const DEFAULT_PUBLIC_KEYS_CONFIGMAP = "sealbridge-public-keys";
/** The newest usable sealing certificate, as GET /v1/cert.pem serves it. */
export const PUBLIC_CERT_ENTRY = "cert.pem";
/** Hex SHA-256 of that certificate's DER (what `sealbridge seal` records in sealbridge.dev/sealed-with-cert-sha256). */
export const PUBLIC_CERT_FINGERPRINT_ENTRY = "cert-sha256";
/** The cluster-wide scope's age recipients, one a line, newest key first (compromised keys left out). */
export const PUBLIC_AGE_CLUSTER_WIDE_ENTRY = "age-recipients-cluster-wide";
export const PUBLIC_KEYS_MANAGED_BY_LABEL = "app.kubernetes.io/managed-by";
export const PUBLIC_KEYS_MANAGED_BY = "sealbridge";
