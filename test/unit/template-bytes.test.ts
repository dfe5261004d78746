// Go strings are bytes: binary Secret data (a keystore, random bytes) goes through templates and
// the ESO / Sealed Secrets integrations byte for byte, and text functions treat it as Go does.
import assert from "node:assert/strict";
import { randomBytes } from "node:crypto";
import { test } from "node:test";
import { renderEsoTemplate } from "../../src/template/eso.ts";
import { bytesToGoString, byteLength, canonical, goStringToBytes } from "../../src/template/gostring.ts";
import { renderSealedSecretTemplate } from "../../src/template/sealed-secrets.ts";
import { render } from "../../src/template/template.ts";
import { stringMap } from "../../src/template/values.ts";

void test("any bytes survive bytesToGoString → goStringToBytes", () => {
  for (let i = 0; i < 200; i++) {
    const b = new Uint8Array(randomBytes(i % 40));
    assert.deepEqual(goStringToBytes(bytesToGoString(b)), b);
  }
  assert.deepEqual(goStringToBytes(bytesToGoString(Uint8Array.from([0xed, 0xa0, 0x80, 0xf4, 0x90, 0x80, 0x80, 0xc3]))), Uint8Array.from([0xed, 0xa0, 0x80, 0xf4, 0x90, 0x80, 0x80, 0xc3]));
});

void test("bytes that meet up as UTF-8 become text, as in Go", () => {
  const halves = bytesToGoString(Uint8Array.from([0xc3])) + bytesToGoString(Uint8Array.from([0xa9]));
  assert.equal(canonical(halves), "é");
  assert.equal(byteLength(halves), 2);
  assert.equal(render("t", `{{ $a := b64dec "w6k=" | trunc 1 }}{{ $b := b64dec "w6k=" | trunc -1 }}{{ print $a $b | upper }}`, stringMap([])), "É");
});

void test("Sealed Secrets: a binary decrypted value is kept and readable by b64enc", () => {
  const bin = new Uint8Array(randomBytes(64));
  const out = renderSealedSecretTemplate({ decrypted: { ks: bin }, templateData: { copy: "{{ .ks }}", b64: "{{ .ks | b64enc }}" } });
  assert.deepEqual(out.data["copy"], bin);
  assert.equal(Buffer.from(out.data["b64"] ?? []).toString(), Buffer.from(bin).toString("base64"));
});

void test("ESO: binary provider data renders to its exact bytes", () => {
  const bin = new Uint8Array(randomBytes(48));
  const out = renderEsoTemplate({ data: { ks: bin, b64: Buffer.from(bin).toString("base64") }, template: { data: { raw: "{{ .ks }}", decoded: "{{ .b64 | b64dec }}" } } });
  assert.deepEqual(goStringToBytes(out.data["raw"] ?? ""), bin);
  assert.deepEqual(goStringToBytes(out.data["decoded"] ?? ""), bin);
});

void test("ESO KeysAndValues reads the rendered YAML as map[string]string the way sigs.k8s.io/yaml does", () => {
  // Checked against sigs.k8s.io/yaml v1.6.0: dates stay text, y/n are bools, floats print as float32.
  const out = renderEsoTemplate({ data: {}, template: { templateFrom: [{ literal: "d: 2024-01-02\nn: 12345678901234567\nf: 0.1\ng: 3.14159265358979\nb: yes\no: 0o17\nz: ~\ne: 1e6\nq: '0x10'\ni: .inf" }] } });
  assert.deepEqual(out.data, { b: "true", d: "2024-01-02", e: "1e+06", f: "0.1", false: "12345678901234567", g: "3.1415927", i: "+Inf", o: "15", q: "0x10", z: "" });
  assert.throws(() => renderEsoTemplate({ data: {}, template: { templateFrom: [{ literal: "a: {b: 1}" }] } }), /could not unmarshal template to 'map\[string\]\[\]byte': error unmarshaling JSON: while decoding JSON: json: cannot unmarshal object into Go value of type string/);
});
