import assert from "node:assert/strict";
import { test } from "node:test";
import bcrypt from "bcryptjs";
import { TemplateError } from "../../src/template/errors.ts";
import { render } from "../../src/template/template.ts";
import { fromPlain, stringMap } from "../../src/template/values.ts";

const data = stringMap([["user", "bob"], ["password", "pw"]]);

function renderErr(text: string, d = data, opts = {}): TemplateError {
  try {
    render("tpl", text, d, opts);
  } catch (e) {
    assert.ok(e instanceof TemplateError, String(e));
    return e;
  }
  assert.fail("expected an error");
}

void test("parse errors carry line and column", () => {
  const e = renderErr("line1\n  {{ if }}");
  assert.equal(e.phase, "parse");
  assert.equal(e.line, 2);
  assert.ok(e.column > 0);
  assert.match(e.message, /missing value for if/);
});

void test("a missing key names the key (ESO missingkey=error)", () => {
  const e = renderErr("{{ .secret }}");
  assert.equal(e.phase, "exec");
  assert.match(e.message, /map has no entry for key "secret"/);
});

void test("wrong argument types and nil dereferences are errors, not crashes", () => {
  for (const t of ["{{ .user.x.y }}", "{{ b64enc 3 }}", "{{ index 3 1 }}", "{{ len 3 }}", "{{ first nil }}", "{{ div 1 0 }}", "{{ .nil.x }}"]) {
    const e = renderErr(t, fromPlain({ user: "x", nil: null }) as ReturnType<typeof stringMap>);
    assert.equal(e.phase, "exec", t);
  }
});

void test("env, expandenv and getHostByName do not exist", () => {
  for (const f of ["env", "expandenv", "getHostByName"]) assert.equal(renderErr(`{{ ${f} "x" }}`).phase, "parse");
});

void test("limits: output size, range iterations, template recursion", () => {
  assert.equal(renderErr('{{ range until 50 }}xxxxxxxxxx{{ end }}', data, { limits: { maxOutputBytes: 100 } }).phase, "limit");
  assert.equal(renderErr("{{ range 1000 }}{{ end }}", data, { limits: { maxRangeIterations: 10 } }).phase, "limit");
  assert.match(renderErr('{{ define "r" }}{{ template "r" . }}{{ end }}{{ template "r" . }}').message, /maximum template depth/);
  assert.equal(renderErr('{{ repeat 100000000 "x" }}').phase, "limit");
});

void test("uuidv4 is a random v4 UUID", () => {
  const a = render("t", "{{ uuidv4 }}", data);
  const b = render("t", "{{ uuidv4 }}", data);
  assert.match(a, /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
  assert.notEqual(a, b);
});

void test("htpasswd bcrypt verifies and salts differ; sha is deterministic", () => {
  const line = render("t", '{{ htpasswd .user .password "bcrypt" }}', data);
  const [user, hash = ""] = line.split(":");
  assert.equal(user, "bob");
  assert.match(hash, /^\$2a\$10\$/);
  assert.ok(bcrypt.compareSync("pw", hash));
  assert.notEqual(render("t", '{{ htpasswd "u" "p" "bcrypt" }}', data), render("t", '{{ htpasswd "u" "p" "bcrypt" }}', data));
  assert.equal(render("t", '{{ htpasswd "u" "p" }}', data, { profile: "sealed-secrets" }).slice(0, 9), "u:$2a$10$");
});

void test("now and date use the injected clock", () => {
  const now = () => new Date("2024-01-02T03:04:05Z");
  assert.equal(render("t", '{{ now | date "2006-01-02T15:04:05Z07:00" }}', data, { now }), "2024-01-02T03:04:05Z");
  assert.equal(render("t", "{{ now.Unix }}", data, { now }), String(Date.parse("2024-01-02T03:04:05Z") / 1000));
});

void test("JWK helpers produce PEM keys", async () => {
  const { generateKeyPairSync } = await import("node:crypto");
  const { privateKey, publicKey } = generateKeyPairSync("ec", { namedCurve: "P-256" });
  const jwk = JSON.stringify(privateKey.export({ format: "jwk" }));
  const pubJwk = JSON.stringify(publicKey.export({ format: "jwk" }));
  const pub = render("t", "{{ .k | jwkPublicKeyPem }}", stringMap([["k", pubJwk]]));
  assert.equal(pub, publicKey.export({ type: "spki", format: "pem" }));
  assert.match(render("t", "{{ .k | jwkPrivateKeyPem }}", stringMap([["k", jwk]])), /^-----BEGIN PRIVATE KEY-----\n/);
  // As in ESO (jwx + x509.MarshalPKIXPublicKey), a private JWK is not accepted where a public one is expected.
  assert.throws(() => render("t", "{{ .k | jwkPublicKeyPem }}", stringMap([["k", jwk]])), /unsupported public key type: \*ecdsa\.PrivateKey/);
});
