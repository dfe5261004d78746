// Differential cases for ESO's PEM, certificate, PKCS#12, JWK and rsaDecrypt helpers, built from
// the openssl-made fixtures in ./fixtures (see make-fixtures.sh).
import { constants, createPrivateKey, createPublicKey, publicEncrypt } from "node:crypto";
import { readFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import type { OracleCase } from "./gorender.ts";

const DIR = join(dirname(fileURLToPath(import.meta.url)), "fixtures");
export const fixture = (name: string): string => readFileSync(join(DIR, name), "utf8");

function cases(): OracleCase[] {
  const f = {
    root: fixture("root.pem"),
    int: fixture("intermediate.pem"),
    leaf: fixture("leaf-rsa.pem"),
    leafKey: fixture("leaf-rsa-key.pem"),
    leafKey8: fixture("leaf-rsa-key-pkcs8.pem"),
    ec: fixture("leaf-ec.pem"),
    ecKey: fixture("leaf-ec-key.pem"),
    ed: fixture("leaf-ed25519.pem"),
    edKey: fixture("leaf-ed25519-key.pem"),
    other: fixture("other-root.pem"),
    chain: fixture("chain-rsa.pem"),
    cas: fixture("cas.pem"),
    oaep: fixture("oaep-key.pem"),
  };
  const p12 = (n: string): string => fixture(`${n}.p12.b64`).trim();
  const out: OracleCase[] = [];
  const add = (id: string, template: string, data: Record<string, string>, deterministicRand = false): void => {
    out.push({ id: `eso-crypto/${id}`, profile: "eso", template, data, stringData: true, ...(deterministicRand ? { deterministicRand } : {}) });
  };

  // filterPEM
  const bundle = `${f.leaf}${f.leafKey}${f.int}${f.ecKey}${f.edKey}`;
  add("filterPEM-cert", `{{ .b | filterPEM "CERTIFICATE" }}`, { b: bundle });
  add("filterPEM-case-insensitive", `{{ .b | filterPEM "certificate" }}`, { b: bundle });
  add("filterPEM-rsa-key", `{{ .b | filterPEM "RSA PRIVATE KEY" }}`, { b: bundle });
  add("filterPEM-ec-key", `{{ .b | filterPEM "EC PRIVATE KEY" }}`, { b: bundle });
  add("filterPEM-pkcs8", `{{ .b | filterPEM "PRIVATE KEY" }}`, { b: bundle });
  add("filterPEM-none-match", `[{{ .b | filterPEM "PUBLIC KEY" }}]`, { b: bundle });
  add("filterPEM-leading-junk", `{{ .b | filterPEM "CERTIFICATE" }}`, { b: `subject=CN = app\nissuer=whatever\n${f.leaf}` });
  add("filterPEM-trailing-junk", `{{ .b | filterPEM "CERTIFICATE" }}`, { b: `${f.leaf}trailing words\n` });
  add("filterPEM-junk-only", `{{ .b | filterPEM "CERTIFICATE" }}`, { b: "no pem here" });
  add("filterPEM-empty", `[{{ .b | filterPEM "CERTIFICATE" }}]`, { b: "" });
  add("filterPEM-crlf", `{{ .b | filterPEM "CERTIFICATE" }}`, { b: f.leaf.replace(/\n/g, "\r\n") });
  add("filterPEM-headers", `{{ .b | filterPEM "RSA PRIVATE KEY" }}`, { b: f.leafKey.replace("-----\n", "-----\nProc-Type: 4,ENCRYPTED\nDEK-Info: AES-128-CBC,00\n\n") });
  add("filterPEM-bad-base64", `[{{ .b | filterPEM "CERTIFICATE" }}]`, { b: "-----BEGIN CERTIFICATE-----\n!!!!\n-----END CERTIFICATE-----\n" });

  // filterCertChain
  for (const t of ["leaf", "intermediate", "root", "other"]) {
    add(`filterCertChain-${t}`, `{{ .c | filterCertChain "${t}" }}`, { c: f.chain });
    add(`filterCertChain-unordered-${t}`, `{{ .c | filterCertChain "${t}" }}`, { c: `${f.root}${f.leaf}${f.int}` });
    add(`filterCertChain-selfsigned-${t}`, `[{{ .c | filterCertChain "${t}" }}]`, { c: f.root });
    add(`filterCertChain-no-root-${t}`, `[{{ .c | filterCertChain "${t}" }}]`, { c: `${f.leaf}${f.int}` });
  }
  add("filterCertChain-disjunct", `{{ .c | filterCertChain "leaf" }}`, { c: `${f.chain}${f.other}` });
  add("filterCertChain-empty", `{{ .c | filterCertChain "leaf" }}`, { c: "" });
  add("filterCertChain-key-block", `{{ .c | filterCertChain "leaf" }}`, { c: f.leafKey });

  // certSANs
  add("certSANs-join", `{{ .c | certSANs | join "\\n" }}`, { c: f.leaf });
  add("certSANs-json", `{{ .c | certSANs | toJson }}`, { c: f.leaf });
  add("certSANs-range", `{{ range $i, $s := .c | certSANs }}{{ $i }}={{ $s }};{{ end }}`, { c: f.chain });
  add("certSANs-none", `{{ .c | certSANs | toJson }} {{ .c | certSANs | len }}`, { c: f.root });
  add("certSANs-junk-prefix", `{{ .c | certSANs | first }}`, { c: `Certificate:\n${f.leaf}` });
  add("certSANs-not-pem", `{{ .c | certSANs }}`, { c: "nope" });
  add("certSANs-not-cert", `{{ .c | certSANs }}`, { c: f.leafKey });

  // pkcs12key / pkcs12cert on openssl-made bundles (modern, legacy 3DES/SHA-1, legacy RC2, EC, Ed25519)
  const bundles: [string, string][] = [
    ["rsa-aes-pass", "s3cret"], ["rsa-aes-nopass", ""], ["rsa-3des-sha1", "s3cret"], ["rsa-rc2", "legacy"],
    ["ec-aes", "pässwörd"], ["ed25519-aes", "s3cret"], ["unordered", "s3cret"],
  ];
  for (const [name, pass] of bundles) {
    add(`pkcs12keyPass-${name}`, `{{ .p | b64dec | pkcs12keyPass .pw }}`, { p: p12(name), pw: pass });
    add(`pkcs12certPass-${name}`, `{{ .p | b64dec | pkcs12certPass .pw }}`, { p: p12(name), pw: pass });
  }
  add("pkcs12key-nopass", `{{ .p | b64dec | pkcs12key }}`, { p: p12("rsa-aes-nopass") });
  add("pkcs12cert-nopass", `{{ .p | b64dec | pkcs12cert }}`, { p: p12("rsa-aes-nopass") });
  add("pkcs12key-wrong-password", `{{ .p | b64dec | pkcs12keyPass "wrong" }}`, { p: p12("rsa-aes-pass") });
  add("pkcs12cert-wrong-password", `{{ .p | b64dec | pkcs12certPass "wrong" }}`, { p: p12("rsa-3des-sha1") });
  add("pkcs12key-needs-password", `{{ .p | b64dec | pkcs12key }}`, { p: p12("rsa-aes-pass") });
  add("pkcs12key-no-key", `{{ .p | b64dec | pkcs12keyPass "s3cret" }}`, { p: p12("nokey") });
  add("pkcs12cert-no-key", `{{ .p | b64dec | pkcs12certPass "s3cret" }}`, { p: p12("nokey") });
  add("pkcs12key-not-der", `{{ .p | pkcs12key }}`, { p: "definitely not DER" });
  add("pkcs12key-still-base64", `{{ .p | pkcs12key }}`, { p: p12("rsa-aes-nopass") });
  add("pkcs12-binary-passthrough", `{{ .p | b64dec | b64enc }}`, { p: p12("rsa-aes-pass") });
  add("pkcs12-binary-sha256", `{{ .p | b64dec | sha256sum }} {{ .p | b64dec | len }}`, { p: p12("rsa-aes-pass") });

  // pemToPkcs12 family with go-pkcs12's Modern encoder on a fixed random stream: byte-identical output
  const keys: [string, string, string][] = [["rsa", f.leaf, f.leafKey], ["rsa-pkcs8", f.leaf, f.leafKey8], ["ec", f.ec, f.ecKey], ["ed25519", f.ed, f.edKey]];
  for (const [name, cert, key] of keys) {
    add(`pemToPkcs12-${name}`, `{{ pemToPkcs12 .c .k }}`, { c: cert, k: key }, true);
    add(`pemToPkcs12Pass-${name}`, `{{ pemToPkcs12Pass .c .k "s3cret" }}`, { c: cert, k: key }, true);
  }
  add("fullPemToPkcs12", `{{ fullPemToPkcs12 .c .k }}`, { c: f.chain, k: f.leafKey }, true);
  add("fullPemToPkcs12Pass", `{{ fullPemToPkcs12Pass .c .k "pässwörd" }}`, { c: f.chain, k: f.leafKey }, true);
  add("pemToPkcs12-ignores-chain", `{{ pemToPkcs12 .c .k }}`, { c: f.chain, k: f.leafKey }, true);
  add("pemTruststoreToPKCS12", `{{ pemTruststoreToPKCS12 .c }}`, { c: f.cas }, true);
  add("pemTruststoreToPKCS12Pass", `{{ pemTruststoreToPKCS12Pass .c "changeit" }}`, { c: `${f.chain}${f.other}` }, true);
  add("fullPemToPkcs12-roundtrip", `{{ fullPemToPkcs12Pass .c .k "pw" | b64dec | pkcs12certPass "pw" }}{{ fullPemToPkcs12Pass .c .k "pw" | b64dec | pkcs12keyPass "pw" }}`, { c: f.chain, k: f.leafKey }, true);
  add("pemToPkcs12-no-cert", `{{ pemToPkcs12 .c .k }}`, { c: "junk", k: f.leafKey });
  add("pemToPkcs12-no-key", `{{ pemToPkcs12 .c .k }}`, { c: f.leaf, k: "junk" });
  add("pemToPkcs12-bad-key", `{{ pemToPkcs12 .c .k }}`, { c: f.leaf, k: "-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----\n" });
  add("pemToPkcs12-key-as-cert", `{{ pemToPkcs12 .c .k }}`, { c: f.leafKey, k: f.leafKey });
  add("fullPemToPkcs12-trailing-blank-line", `{{ fullPemToPkcs12 .c .k }}`, { c: `${f.chain}\n`, k: f.leafKey });
  add("fullPemToPkcs12-trailing-junk", `{{ fullPemToPkcs12 .c .k }}`, { c: `${f.chain}junk`, k: f.leafKey });
  add("pemTruststoreToPKCS12-empty", `{{ pemTruststoreToPKCS12 .c | b64dec | len }}`, { c: "" }, true);

  // jwkPublicKeyPem / jwkPrivateKeyPem (ESO uses lestrrat-go/jwx v2)
  for (const [name, pem] of [["rsa", f.leafKey], ["ec", f.ecKey], ["ed25519", f.edKey]] as const) {
    const priv = JSON.stringify(createPrivateKey(pem).export({ format: "jwk" }));
    const pub = JSON.stringify(createPublicKey(pem).export({ format: "jwk" }));
    add(`jwkPublicKeyPem-${name}`, `{{ .j | jwkPublicKeyPem }}`, { j: pub });
    add(`jwkPrivateKeyPem-${name}`, `{{ .j | jwkPrivateKeyPem }}`, { j: priv });
    add(`jwkPublicKeyPem-of-private-${name}`, `{{ .j | jwkPublicKeyPem }}`, { j: priv });
    add(`jwkPrivateKeyPem-of-public-${name}`, `{{ .j | jwkPrivateKeyPem }}`, { j: pub });
  }
  add("jwk-bad-json", `{{ .j | jwkPublicKeyPem }}`, { j: "{" });
  add("jwk-unknown-kty", `{{ .j | jwkPublicKeyPem }}`, { j: `{"kty":"XYZ"}` });

  // rsaDecrypt (ESO decrypt.go): ciphertexts made here with node's OAEP, so each run uses fresh ones
  const pub = createPublicKey(f.oaep);
  for (const hash of ["SHA1", "SHA256", "SHA512", "None", "MD5"]) {
    const oaepHash = hash === "SHA1" ? "sha1" : hash === "SHA512" ? "sha512" : "sha256";
    const ct = publicEncrypt({ key: pub, padding: constants.RSA_PKCS1_OAEP_PADDING, oaepHash }, Buffer.from(`secret via ${hash} ✓`)).toString("base64");
    add(`rsaDecrypt-${hash}`, `{{ rsaDecrypt "RSA-OAEP" "${hash}" (.ct | b64dec) .k }}`, { ct, k: f.oaep });
  }
  const ct1 = publicEncrypt({ key: pub, padding: constants.RSA_PKCS1_OAEP_PADDING, oaepHash: "sha1" }, Buffer.from("x")).toString("base64");
  add("rsaDecrypt-wrong-hash", `{{ rsaDecrypt "RSA-OAEP" "SHA256" (.ct | b64dec) .k }}`, { ct: ct1, k: f.oaep });
  add("rsaDecrypt-none", `{{ rsaDecrypt "None" "SHA256" .v .k }}`, { v: "as is", k: "" });
  add("rsaDecrypt-unknown-scheme", `{{ rsaDecrypt "RSA-PKCS1" "SHA256" .v .k }}`, { v: "x", k: f.oaep });
  add("rsaDecrypt-no-pem", `{{ rsaDecrypt "RSA-OAEP" "SHA256" .v .k }}`, { v: "x", k: "nope" });
  add("rsaDecrypt-ec-key", `{{ rsaDecrypt "RSA-OAEP" "SHA256" .v .k }}`, { v: "x", k: f.ecKey });
  add("rsaDecrypt-bad-key", `{{ rsaDecrypt "RSA-OAEP" "SHA256" .v .k }}`, { v: "x", k: "-----BEGIN RSA PRIVATE KEY-----\nAAAA\n-----END RSA PRIVATE KEY-----\n" });
  add("rsaDecrypt-pkcs8-key", `{{ rsaDecrypt "RSA-OAEP" "SHA1" (.ct | b64dec) .k }}`, { ct: ct1, k: createPrivateKey(f.oaep).export({ format: "pem", type: "pkcs8" }) as string });
  return out;
}

export const esoCryptoCases: () => OracleCase[] = cases;
