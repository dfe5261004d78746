// ESO's template helpers (external-secrets runtime/template/v2): toYaml/fromYaml, PEM filters,
// certificate SANs, PKCS#12 and JWK conversions.
import { X509Certificate, createPrivateKey, createPublicKey } from "node:crypto";
import forge from "node-forge";
import YAML from "yaml";
import { FuncError } from "./errors.ts";
import { type TemplateFunction, fn } from "./funcs.ts";
import { marshal, unmarshal } from "./json.ts";
import { pemDecode, pemDecodeAll, pemEncode } from "./pem.ts";
import { type GoMap, type Value, fromPlain, typedSlice } from "./values.ts";

/** sigs.k8s.io/yaml Marshal: through JSON, then YAML in go-yaml v2 style; trailing newline trimmed. */
export function toYaml(v: Value): string {
  let json: unknown;
  try {
    json = JSON.parse(marshal(v, { escapeHTML: false }));
  } catch {
    return "";
  }
  const doc = new YAML.Document(json, { version: "1.1", sortMapEntries: true });
  // go-yaml v2 double-quotes strings that would read back as another type, single-quotes the rest that need quoting.
  YAML.visit(doc, {
    Scalar(_key, node) {
      if (typeof node.value !== "string" || node.value.includes("\n")) return;
      if (node.value === "" || readsAsNonString(node.value)) node.type = "QUOTE_DOUBLE";
    },
  });
  const out = doc.toString({ indentSeq: false, lineWidth: 0, minContentWidth: 0, singleQuote: true });
  return out.replace(/\n$/, "");
}

function readsAsNonString(s: string): boolean {
  try {
    const v: unknown = YAML.parse(s, { version: "1.1" });
    return v === null || typeof v === "number" || typeof v === "boolean" || v instanceof Date;
  } catch {
    return false;
  }
}

/** ESO fromYaml: a map; parse errors land in m["Error"]. */
export function fromYaml(s: string): GoMap {
  try {
    const doc = YAML.parse(s, { version: "1.1", merge: true }) as unknown;
    if (doc === null || doc === undefined) return new Map();
    const v = fromPlain(JSON.parse(JSON.stringify(doc)));
    if (v instanceof Map) return v;
    const m: GoMap = new Map();
    m.set("Error", `error unmarshaling JSON: while decoding JSON: json: cannot unmarshal ${Array.isArray(doc) ? "array" : typeof doc} into Go value of type map[string]interface {}`);
    return m;
  } catch (e) {
    const m: GoMap = new Map();
    m.set("Error", e instanceof Error ? e.message : String(e));
    return m;
  }
}

function trimJunk(input: string): string {
  const i = input.indexOf("-----BEGIN");
  return i < 0 ? input : input.slice(i);
}

export function filterPEM(pemType: string, input: string): string {
  const { blocks, rest } = pemDecodeAll(trimJunk(input));
  const out = blocks.filter((b) => b.type.toLowerCase() === pemType.toLowerCase()).map((b) => pemEncode(b.type, b.bytes));
  if (out.length === 0 && rest.length !== 0) throw new FuncError("error filtering pem: found junk");
  return out.join("");
}

interface ParsedCert {
  raw: Uint8Array;
  ski: string | undefined;
  aki: string | undefined;
}

function parseCert(der: Uint8Array): ParsedCert {
  try {
    const asn1 = forge.asn1.fromDer(forge.util.createBuffer(Buffer.from(der).toString("binary")));
    const cert = forge.pki.certificateFromAsn1(asn1);
    const skiExt = cert.getExtension("subjectKeyIdentifier") as { subjectKeyIdentifier?: string } | undefined;
    const akiExt = cert.getExtension("authorityKeyIdentifier") as { value?: string } | undefined;
    let aki: string | undefined;
    if (akiExt?.value !== undefined) {
      const seq = forge.asn1.fromDer(akiExt.value);
      const keyId = (seq.value as forge.asn1.Asn1[]).find((c) => (c.tagClass as number) === (forge.asn1.Class.CONTEXT_SPECIFIC as number) && (c.type as number) === 0);
      if (keyId && typeof keyId.value === "string") aki = forge.util.bytesToHex(keyId.value);
    }
    return { raw: der, ski: skiExt?.subjectKeyIdentifier, aki };
  } catch (e) {
    throw new FuncError(`x509: ${e instanceof Error ? e.message : String(e)}`);
  }
}

function certChain(input: string): ParsedCert[] {
  const { blocks } = pemDecodeAll(input);
  const nodes = blocks.map((b) => ({ cert: parseCert(b.bytes), parent: undefined as number | undefined, isParent: false }));
  nodes.forEach((n, i) => {
    for (let j = 0; j < nodes.length; j++) {
      const other = nodes[j];
      if (i === j || other === undefined) continue;
      if ((n.cert.aki ?? "") === (other.cert.ski ?? "")) {
        other.isParent = true;
        n.parent = j;
        break;
      }
    }
  });
  let leaf: number | undefined;
  nodes.forEach((n, i) => {
    if (!n.isParent) {
      if (leaf !== undefined) throw new FuncError("found multiple leaf or disjunct certificates");
      leaf = i;
    }
  });
  if (leaf === undefined) throw new FuncError("no leaf certificate found");
  const out: ParsedCert[] = [];
  let cur: number | undefined = leaf;
  while (cur !== undefined) {
    if (out.length >= nodes.length) throw new FuncError("constructing chain resulted in cycle");
    const n: (typeof nodes)[number] | undefined = nodes[cur];
    if (n === undefined) break;
    out.push(n.cert);
    cur = n.parent;
  }
  return out;
}

const isRoot = (c: ParsedCert): boolean => c.aki === undefined || c.aki === c.ski;

export function filterCertChain(certType: string, input: string): string {
  const ordered = certChain(input);
  const first = ordered[0];
  switch (certType) {
    case "leaf":
      if (first && first.aki !== undefined && first.aki !== first.ski) return pemEncode("CERTIFICATE", first.raw);
      return "";
    case "intermediate": {
      if (ordered.length < 2) return "";
      let out = "";
      for (const c of ordered.slice(1)) {
        if (isRoot(c)) break;
        out += pemEncode("CERTIFICATE", c.raw);
      }
      return out;
    }
    case "root": {
      const last = ordered[ordered.length - 1];
      if (last && isRoot(last)) return pemEncode("CERTIFICATE", last.raw);
      return "";
    }
  }
  return "";
}

export function certSANs(input: string): string[] {
  const { block } = pemDecode(trimJunk(input));
  if (block === undefined) throw new FuncError("failed to decode PEM block");
  let cert: X509Certificate;
  try {
    cert = new X509Certificate(Buffer.from(block.bytes));
  } catch (e) {
    throw new FuncError(`failed to parse certificate: ${e instanceof Error ? e.message : String(e)}`);
  }
  const entries = (cert.subjectAltName ?? "").split(", ").filter(Boolean);
  const dns: string[] = [];
  const ips: string[] = [];
  const emails: string[] = [];
  const uris: string[] = [];
  for (const e of entries) {
    const i = e.indexOf(":");
    const kind = e.slice(0, i);
    let val = e.slice(i + 1);
    if (val.startsWith('"')) val = JSON.parse(val) as string;
    if (kind === "DNS") dns.push(val);
    else if (kind === "IP Address") ips.push(val.toLowerCase());
    else if (kind === "email") emails.push(val);
    else if (kind === "URI") uris.push(val);
  }
  return [...dns, ...ips, ...emails, ...uris];
}

function p12(input: string, pass: string, what: "key" | "cert"): string {
  let p: forge.pkcs12.Pkcs12Pfx;
  try {
    const asn1 = forge.asn1.fromDer(forge.util.createBuffer(Buffer.from(input, "latin1").toString("binary")));
    p = forge.pkcs12.pkcs12FromAsn1(asn1, false, pass);
  } catch (e) {
    const msg = `pkcs12: ${e instanceof Error ? e.message : String(e)}`;
    throw new FuncError(what === "key" ? `unable to decode pkcs12 with password: ${msg}` : `unable to decode pkcs12 certificate with password: ${msg}`);
  }
  if (what === "key") {
    const bags = [
      ...(p.getBags({ bagType: forge.pki.oids.pkcs8ShroudedKeyBag ?? "" })[forge.pki.oids.pkcs8ShroudedKeyBag ?? ""] ?? []),
      ...(p.getBags({ bagType: forge.pki.oids.keyBag ?? "" })[forge.pki.oids.keyBag ?? ""] ?? []),
    ];
    const key = bags[0]?.key;
    if (key === undefined) throw new FuncError("unable to decode pkcs12 with password: pkcs12: private key missing");
    const pkcs8 = forge.pki.wrapRsaPrivateKey(forge.pki.privateKeyToAsn1(key));
    return pemEncode("PRIVATE KEY", Buffer.from(forge.asn1.toDer(pkcs8).getBytes(), "binary"));
  }
  const certBags = p.getBags({ bagType: forge.pki.oids.certBag ?? "" })[forge.pki.oids.certBag ?? ""] ?? [];
  const ders = certBags.flatMap((b) => (b.cert ? [Buffer.from(forge.asn1.toDer(forge.pki.certificateToAsn1(b.cert)).getBytes(), "binary")] : []));
  const pemData = ders.map((d) => pemEncode("CERTIFICATE", d)).join("");
  try {
    return certChain(pemData).map((c) => pemEncode("CERTIFICATE", c.raw)).join("");
  } catch {
    return pemData;
  }
}

function toPkcs12(certPem: string, keyPem: string, pass: string, withChain: boolean): string {
  const { blocks } = pemDecodeAll(certPem);
  if (blocks.length === 0) throw new FuncError("runtime error: invalid memory address or nil pointer dereference");
  const certs = (withChain ? blocks : blocks.slice(0, 1)).map((b) => forge.pki.certificateFromAsn1(forge.asn1.fromDer(Buffer.from(b.bytes).toString("binary"))));
  const keyBlock = pemDecode(keyPem).block;
  if (keyBlock === undefined) throw new FuncError("runtime error: invalid memory address or nil pointer dereference");
  let key: forge.pki.PrivateKey;
  try {
    const der = createPrivateKey({ key: Buffer.from(keyBlock.bytes), format: "der", type: keyBlock.type === "RSA PRIVATE KEY" ? "pkcs1" : "pkcs8" })
      .export({ format: "pem", type: "pkcs1" }) as string;
    key = forge.pki.privateKeyFromPem(der);
  } catch {
    throw new FuncError("unable to parse private key type");
  }
  const asn1 = forge.pkcs12.toPkcs12Asn1(key, certs, pass, { algorithm: "aes256", useMac: true });
  return Buffer.from(forge.asn1.toDer(asn1).getBytes(), "binary").toString("base64");
}

function jwkKey(s: string, kind: "public" | "private"): string {
  let jwk: Record<string, unknown>;
  try {
    jwk = JSON.parse(s) as Record<string, unknown>;
  } catch (e) {
    throw new FuncError(`failed to unmarshal JSON into key hint: ${e instanceof Error ? e.message : String(e)}`);
  }
  try {
    if (kind === "public") {
      return createPublicKey({ key: jwk, format: "jwk" }).export({ type: "spki", format: "pem" }) as string;
    }
    return createPrivateKey({ key: jwk, format: "jwk" }).export({ type: "pkcs8", format: "pem" }) as string;
  } catch (e) {
    throw new FuncError(`failed to parse key: ${e instanceof Error ? e.message : String(e)}`);
  }
}

export function esoFunctions(): Map<string, TemplateFunction> {
  const s = (f: (x: string) => Value) => fn(["string"], ([a]) => f(a as string));
  return new Map<string, TemplateFunction>([
    ["toYaml", fn(["any"], ([v]) => toYaml(v))],
    ["fromYaml", s(fromYaml)],
    ["filterPEM", fn(["string", "string"], ([t, i]) => filterPEM(t as string, i as string))],
    ["filterCertChain", fn(["string", "string"], ([t, i]) => filterCertChain(t as string, i as string))],
    ["certSANs", s((x) => typedSlice(certSANs(x), "string"))],
    ["pkcs12key", s((x) => p12(x, "", "key"))],
    ["pkcs12keyPass", fn(["string", "string"], ([p, x]) => p12(x as string, p as string, "key"))],
    ["pkcs12cert", s((x) => p12(x, "", "cert"))],
    ["pkcs12certPass", fn(["string", "string"], ([p, x]) => p12(x as string, p as string, "cert"))],
    ["pemToPkcs12", fn(["string", "string"], ([c, k]) => toPkcs12(c as string, k as string, "", false))],
    ["pemToPkcs12Pass", fn(["string", "string", "string"], ([c, k, p]) => toPkcs12(c as string, k as string, p as string, false))],
    ["fullPemToPkcs12", fn(["string", "string"], ([c, k]) => toPkcs12(c as string, k as string, "", true))],
    ["fullPemToPkcs12Pass", fn(["string", "string", "string"], ([c, k, p]) => toPkcs12(c as string, k as string, p as string, true))],
    ["jwkPublicKeyPem", s((x) => jwkKey(x, "public"))],
    ["jwkPrivateKeyPem", s((x) => jwkKey(x, "private"))],
  ]);
}

export { unmarshal };
