// PKCS#12 interop with real randomness, both directions: bundles made by Go (ESO's pemToPkcs12 on
// go-pkcs12) open in our pkcs12key/pkcs12cert, and ours open in Go's, with the same results.
import assert from "node:assert/strict";
import { test } from "node:test";
import { render } from "../../src/template/template.ts";
import { stringMap } from "../../src/template/values.ts";
import { fixture } from "./eso-crypto-cases.ts";
import { type OracleCase, runOracle } from "./gorender.ts";

const PAIRS = [
  ["rsa", `${fixture("leaf-rsa.pem")}${fixture("intermediate.pem")}${fixture("root.pem")}`, fixture("leaf-rsa-key.pem")],
  ["ec", `${fixture("leaf-ec.pem")}${fixture("intermediate.pem")}`, fixture("leaf-ec-key.pem")],
  ["ed25519", fixture("leaf-ed25519.pem"), fixture("leaf-ed25519-key.pem")],
] as const;
const PASS = "pässwörd";
const ENCODE = `{{ fullPemToPkcs12Pass .c .k .pw }}`;
const DECODE = `{{ .p | b64dec | pkcs12certPass .pw }}{{ .p | b64dec | pkcs12keyPass .pw }}`;

const goCase = (id: string, template: string, data: Record<string, string>): OracleCase => ({ id, profile: "eso", template, data, stringData: true });
const ts = (template: string, data: Record<string, string>): string => render("tpl", template, stringMap(Object.entries(data)), { profile: "eso" });
const out = (r: { output?: string; error?: string } | undefined): string => {
  assert.ok(r && r.error === undefined, `oracle failed: ${r?.error}`);
  return Buffer.from(r.output ?? "", "base64").toString("utf8");
};

void test("PKCS#12 made by Go opens in sealbridge and the other way round", () => {
  const made = runOracle(PAIRS.map(([name, c, k]) => goCase(name, ENCODE, { c, k, pw: PASS })));
  const ours = PAIRS.map(([, c, k]) => ts(ENCODE, { c, k, pw: PASS }));
  const decodeCases = PAIRS.flatMap(([name], i) => [
    goCase(`go-made/${name}`, DECODE, { p: out(made[i]), pw: PASS }),
    goCase(`ts-made/${name}`, DECODE, { p: ours[i] ?? "", pw: PASS }),
  ]);
  const decoded = new Map(runOracle(decodeCases).map((r) => [r.id, out(r)]));
  PAIRS.forEach(([name, , key], i) => {
    const goMade = out(made[i]);
    assert.notEqual(goMade, ours[i], "salts and IVs are random");
    const byGo = decoded.get(`go-made/${name}`) ?? "";
    assert.equal(ts(DECODE, { p: goMade, pw: PASS }), byGo, `${name}: we read Go's bundle as Go does`);
    assert.equal(decoded.get(`ts-made/${name}`), byGo, `${name}: Go reads our bundle as it reads its own`);
    assert.ok(byGo.includes("-----BEGIN PRIVATE KEY-----"), name);
    void key;
    assert.throws(() => ts(DECODE, { p: goMade, pw: "wrong" }), /decryption password incorrect/);
  });
});
