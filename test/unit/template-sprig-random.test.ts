// Property tests for Sprig's random and clock-driven functions: certificates parsed by node:crypto,
// AES round trips, shuffle/randInt ranges, ago/durationRound on an injected clock.
import assert from "node:assert/strict";
import { X509Certificate, createPrivateKey } from "node:crypto";
import { test } from "node:test";
import { TemplateError } from "../../src/template/errors.ts";
import { render } from "../../src/template/template.ts";
import { fromPlain } from "../../src/template/values.ts";

const NOW = new Date("2024-05-06T07:08:09Z");
const run = (tpl: string, data: unknown = {}): string => render("t", tpl, fromPlain(data), { profile: "sealed-secrets", now: () => NOW });

void test("genCA: a self-signed CA valid for the given days, CA flags set", () => {
  const [cert = "", key = ""] = run(`{{ $ca := genCA "my-ca" 30 }}{{ $ca.Cert }}|{{ $ca.Key }}`).split("|");
  const x = new X509Certificate(cert);
  assert.equal(x.subject, "CN=my-ca");
  assert.equal(x.issuer, "CN=my-ca");
  assert.equal(x.ca, true);
  assert.equal(new Date(x.validFrom).getTime(), Math.floor(NOW.getTime() / 1000) * 1000);
  assert.equal(new Date(x.validTo).getTime() - new Date(x.validFrom).getTime(), 30 * 86_400_000);
  assert.ok(x.verify(x.publicKey));
  assert.ok(x.checkPrivateKey(createPrivateKey(key)));
  assert.match(key, /^-----BEGIN RSA PRIVATE KEY-----\n/);
});

void test("genSelfSignedCert and genSignedCert: SANs, not a CA, chained to the CA", () => {
  const out = run(`{{ $ca := genCAWithKey "ca" 10 (genPrivateKey "ecdsa") }}{{ $c := genSignedCertWithKey "leaf" (list "10.0.0.1" "::ffff:1.2.3.4" "2001:db8::1") (list "svc.example" "svc") 5 $ca (genPrivateKey "ed25519") }}{{ $ca.Cert }}|{{ $c.Cert }}|{{ $c.Key }}`);
  const [caPem = "", leafPem = "", leafKey = ""] = out.split("|");
  const ca = new X509Certificate(caPem);
  const leaf = new X509Certificate(leafPem);
  assert.equal(leaf.ca, false);
  assert.equal(leaf.issuer, "CN=ca");
  assert.ok(leaf.verify(ca.publicKey));
  assert.ok(leaf.checkIssued(ca));
  assert.equal(leaf.subjectAltName, "DNS:svc.example, DNS:svc, IP Address:10.0.0.1, IP Address:1.2.3.4, IP Address:2001:DB8:0:0:0:0:0:1");
  assert.ok(leaf.checkPrivateKey(createPrivateKey(leafKey)));
  const self = new X509Certificate(run(`{{ (genSelfSignedCert "me" nil (list "a") 1).Cert }}`));
  assert.equal(self.ca, false);
  assert.ok(self.verify(self.publicKey));
  assert.deepEqual(self.keyUsage, ["1.3.6.1.5.5.7.3.1", "1.3.6.1.5.5.7.3.2"]);
});

void test("genPrivateKey: each type parses with node:crypto", () => {
  for (const [type, header, kind] of [["ecdsa", "EC PRIVATE KEY", "ec"], ["ed25519", "PRIVATE KEY", "ed25519"], ["rsa", "RSA PRIVATE KEY", "rsa"]] as const) {
    const pem = run(`{{ genPrivateKey "${type}" }}`);
    assert.ok(pem.startsWith(`-----BEGIN ${header}-----\n`), type);
    assert.equal(createPrivateKey(pem).asymmetricKeyType, kind);
  }
  const dsa = run(`{{ genPrivateKey "dsa" }}`);
  assert.match(dsa, /^-----BEGIN DSA PRIVATE KEY-----\n/);
});

void test("encryptAES: random IV, decryptAES inverts it", () => {
  const a = run(`{{ encryptAES "pw" "hello" }}`);
  const b = run(`{{ encryptAES "pw" "hello" }}`);
  assert.notEqual(a, b);
  assert.equal(run(`{{ decryptAES "pw" .c }}`, { c: a }), "hello");
});

void test("shuffle and randInt stay in range", () => {
  const s = run(`{{ shuffle "abcdefgh" }}`);
  assert.equal([...s].sort().join(""), "abcdefgh");
  for (const n of run(`{{ range until 300 }}{{ randInt -2 3 }} {{ end }}`).trim().split(" ").map(Number)) assert.ok(n >= -2 && n < 3);
});

void test("ago and durationRound read the injected clock", () => {
  assert.equal(run(`{{ ago (toDate "2006-01-02 15:04:05" "2024-05-06 05:06:07") }}`), "2h2m2s");
  assert.equal(run(`{{ ago .t }}`, { t: new Date("2024-05-06T07:08:08.6Z") }), "0s");
  assert.equal(run(`{{ ago (toDate "2006-01-02" "2024-05-07") }}`), "-16h51m51s");
  assert.equal(run(`{{ durationRound (toDate "2006-01-02" "2024-01-01") }}`), "4mo");
  assert.equal(run(`{{ ago 0 }}`), run(`{{ ago (int64 0) }}`));
});

void test("key generation and scrypt count against the crypto budget", () => {
  assert.throws(() => render("t", `{{ range until 20 }}{{ derivePassword 1 "pin" "p" "u" "s" }}{{ end }}`, null, { limits: { maxCryptoOperations: 3 } }),
    (e: unknown) => e instanceof TemplateError && e.phase === "limit");
});
