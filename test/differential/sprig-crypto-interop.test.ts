// Go reads what our Sprig crypto functions make: its decryptAES opens our encryptAES output, its
// x509 parses our CA and keys (buildCustomCert, then genSignedCert signs with them), and we sign
// with a CA Go made.
import assert from "node:assert/strict";
import { X509Certificate } from "node:crypto";
import { test } from "node:test";
import { render } from "../../src/template/template.ts";
import { fromPlain } from "../../src/template/values.ts";
import { type OracleCase, runOracle } from "./gorender.ts";

const ours = (tpl: string, data: unknown = {}): string => render("t", tpl, fromPlain(data), { profile: "sealed-secrets" });
const goOutput = (c: OracleCase): string => {
  const [r] = runOracle([c]);
  assert.equal(r?.error, undefined, r?.error);
  return Buffer.from(r?.output ?? "", "base64").toString("utf8");
};

void test("Go's decryptAES opens our encryptAES output", () => {
  const plain = "s3cr3t ✓ with a longer text that spans blocks";
  const ct = ours(`{{ encryptAES "password" .p }}`, { p: plain });
  assert.equal(goOutput({ id: "aes", profile: "sealed-secrets", template: `{{ decryptAES "password" .c }}`, data: { c: ct } }), plain);
});

void test("Go parses our CAs and keys and signs with them", () => {
  for (const keyType of ["rsa", "ecdsa", "ed25519"]) {
    const [cert = "", key = ""] = ours(`{{ $ca := genCAWithKey "our-ca" 3 (genPrivateKey "${keyType}") }}{{ $ca.Cert | b64enc }}|{{ $ca.Key | b64enc }}`).split("|");
    const leaf = goOutput({
      id: `ca-${keyType}`, profile: "sealed-secrets", data: { cert, key },
      template: `{{ $ca := buildCustomCert .cert .key }}{{ (genSignedCert "leaf" (list "10.1.2.3") (list "x.example") 2 $ca).Cert }}`,
    });
    const x = new X509Certificate(leaf);
    assert.ok(x.checkIssued(new X509Certificate(Buffer.from(cert, "base64").toString())), keyType);
    assert.equal(x.subjectAltName, "DNS:x.example, IP Address:10.1.2.3");
  }
});

void test("we sign with a CA Go made", () => {
  const [cert = "", key = ""] = goOutput({ id: "go-ca", profile: "sealed-secrets", data: {}, template: `{{ $ca := genCA "go-ca" 3 }}{{ $ca.Cert | b64enc }}|{{ $ca.Key | b64enc }}` }).split("|");
  const leaf = ours(`{{ (genSignedCert "leaf" nil (list "y") 1 (buildCustomCert .cert .key)).Cert }}`, { cert, key });
  const x = new X509Certificate(leaf);
  assert.ok(x.checkIssued(new X509Certificate(Buffer.from(cert, "base64").toString())));
  assert.ok(x.verify(new X509Certificate(Buffer.from(cert, "base64").toString()).publicKey));
});
