import { CST, isMap, isScalar, isPair } from "yaml";
import { parseYamlDocuments } from "/work/wt-reseal/src/api/bounded-parse.ts";
const text = `# top comment
apiVersion: bitnami.com/v1alpha1
kind: SealedSecret
metadata:
  name: x   # trailing
spec:
  encryptedData:
    a: AgBy3i4OJSWK+PiTySYZZA==  # c1
    b: "AgBQ=="
    c: |
      -----BEGIN AGE ENCRYPTED FILE-----
      YWdl
      -----END AGE ENCRYPTED FILE-----
    # between
    d: |-
      abc
  template: {}
---
{"kind": "SealedSecret", "spec": {"encryptedData": {"k": "-----BEGIN X-----\\nabc\\n-----END X-----\\n", "z": "AAAA"}}}
`;
const docs = parseYamlDocuments(text, { yaml: { keepSourceTokens: true } });
const edits: { start: number; end: number; text: string }[] = [];
for (const doc of docs) {
  const ed = (doc.getIn(["spec", "encryptedData"], true));
  if (!isMap(ed)) continue;
  for (const p of ed.items) {
    if (!isPair(p) || !isScalar(p.value)) continue;
    const tok = p.value.srcToken as CST.Token;
    const old = CST.stringify(tok);
    const start = (tok as {offset:number}).offset;
    console.log(JSON.stringify({ type: tok.type, start, old, match: text.slice(start, start + old.length) === old, range: p.value.range }));
    const v = String(p.value.value);
    const nv = v.includes("\n") ? v.replace("YWdl", "bmV3bmV3").replace("abc", "XYZXYZ") : "NEW" + v;
    CST.setScalarValue(tok, nv, { afterKey: true, inFlow: (tok as {indent:number}) && false });
    edits.push({ start, end: start + old.length, text: CST.stringify(tok) });
  }
}
let out = text;
for (const e of edits.sort((a, b) => b.start - a.start)) out = out.slice(0, e.start) + e.text + out.slice(e.end);
console.log(out);
