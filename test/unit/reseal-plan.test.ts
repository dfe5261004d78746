// sealbridge reseal's pure part: finding sealed documents with the position of each value, rewriting
// only those scalars (every other byte kept), checking the rewrite, and findings with path and line.
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { applyEdits, checkRewrite, formatSummary, scalarEdit, scanFile, type Edit, type IntendedDocument, type SealedDocument } from "../../src/cli/reseal-plan.ts";

const ARMOR_OLD = "-----BEGIN AGE ENCRYPTED FILE-----\nYWdlLWVuY3J5cHRpb24ub3JnL3YxCi0+IFgyNTUxOSBvbGQ=\n-----END AGE ENCRYPTED FILE-----\n";
const ARMOR_NEW = "-----BEGIN AGE ENCRYPTED FILE-----\nYWdlLWVuY3J5cHRpb24ub3JnL3YxCi0+IFgyNTUxOSBuZXc=\n-----END AGE ENCRYPTED FILE-----\n";

const FILE = `# team-a credentials: re-sealed after every rotation
---
apiVersion: bitnami.com/v1alpha1
kind: SealedSecret
metadata:
  name: db   # the app reads this name
  namespace: team-a
  annotations:
    sealbridge.dev/sealed-with-cert-sha256: "aaaa"
spec:
  # values
  encryptedData:
    password: AgBOLDOLDOLDOLDOLDOLD==    # rotated yearly
    'user':   "AgQUOTEDOLDOLDOLD=="
    token: 'AgSINGLEOLDOLD=='
  template:
    metadata: {labels: {app: db}}
---
apiVersion: v1
kind: ConfigMap
metadata: {name: unrelated}
data: {kind: SealedSecret}
---
apiVersion: sealbridge.dev/v1alpha1
kind: AgeSecret
metadata:
  name: api
  namespace: team-a
spec:
  encryptedData:
    key: |
      ${ARMOR_OLD.trimEnd().split("\n").join("\n      ")}
    # trailing comment
`;

function intendedAndEdits(docs: SealedDocument[], values: Record<number, Record<string, string>>): { edits: Edit[]; intended: IntendedDocument[] } {
  const edits: Edit[] = [];
  const intended: IntendedDocument[] = [];
  for (const doc of docs) {
    const change = values[doc.index] ?? {};
    for (const [k, v] of Object.entries(change)) {
      const site = doc.values.get(k)?.site;
      assert.ok(site, `${k} has a site`);
      edits.push(scalarEdit(site, v));
    }
    intended.push({ index: doc.index, values: change });
  }
  return { edits, intended };
}

describe("reseal plan", () => {
  it("finds SealedSecrets and AgeSecrets (not other kinds) with their values and recorded annotation", () => {
    const scanned = scanFile("f.yaml", FILE);
    assert.equal(scanned.kind, "found");
    if (scanned.kind !== "found") return;
    assert.deepEqual(scanned.documents.map((d) => [d.index, d.kind, d.namespace, d.name, d.line]), [
      [1, "SealedSecret", "team-a", "db", 3],
      [3, "AgeSecret", "team-a", "api", 24],
    ]);
    const [sealed, age] = scanned.documents;
    assert.deepEqual([...(sealed?.values.keys() ?? [])], ["password", "user", "token"]);
    assert.equal(sealed?.recorded?.value, "aaaa");
    assert.equal(age?.values.get("key")?.value, ARMOR_OLD);
  });

  it("rewrites only the encrypted scalars, in their own style; every other byte stays", () => {
    const scanned = scanFile("f.yaml", FILE);
    assert.equal(scanned.kind, "found");
    if (scanned.kind !== "found") return;
    const { edits, intended } = intendedAndEdits(scanned.documents, {
      1: { password: "AgBNEWNEWNEWNEWNEWNEWNEWNEW==", user: "AgQUOTEDNEWNEW==", token: "AgSINGLENEW==" },
      3: { key: ARMOR_NEW },
    });
    const sealed = scanned.documents[0];
    assert.ok(sealed?.recorded);
    edits.push(scalarEdit(sealed.recorded.site, "bbbb"));
    (intended[0] as IntendedDocument).recorded = { key: sealed.recorded.key, value: "bbbb" };
    const out = applyEdits(FILE, edits);
    const expected = FILE.replace("AgBOLDOLDOLDOLDOLDOLD==", "AgBNEWNEWNEWNEWNEWNEWNEWNEW==")
      .replace('"AgQUOTEDOLDOLDOLD=="', '"AgQUOTEDNEWNEW=="')
      .replace("'AgSINGLEOLDOLD=='", "'AgSINGLENEW=='")
      .replace('"aaaa"', '"bbbb"')
      .replace("IFgyNTUxOSBvbGQ=", "IFgyNTUxOSBuZXc=");
    assert.equal(out, expected);
    const check = checkRewrite("f.yaml", scanned.documents, out, intended);
    assert.equal(check.ok, true);
  });

  it("JSON files keep their layout; multi-line values stay one JSON string", () => {
    const json = `{\n  "kind": "AgeSecret",\n  "apiVersion": "sealbridge.dev/v1alpha1",\n  "metadata": {"name": "x", "namespace": "n"},\n  "spec": {\n    "encryptedData": {\n      "k": ${JSON.stringify(ARMOR_OLD)}\n    }\n  }\n}\n`;
    const scanned = scanFile("x.json", json);
    assert.equal(scanned.kind, "found");
    if (scanned.kind !== "found") return;
    const { edits, intended } = intendedAndEdits(scanned.documents, { 1: { k: ARMOR_NEW } });
    const out = applyEdits(json, edits);
    assert.equal(out, json.replace(JSON.stringify(ARMOR_OLD), JSON.stringify(ARMOR_NEW)));
    assert.deepEqual(JSON.parse(out), { ...JSON.parse(json), spec: { encryptedData: { k: ARMOR_NEW } } });
    assert.equal(checkRewrite("x.json", scanned.documents, out, intended).ok, true);
  });

  it("plain scalars stay plain only where they read back as the same string", () => {
    const text = "apiVersion: sealbridge.dev/v1alpha1\nkind: AgeSecret\nmetadata:\n  name: a\n  annotations:\n    sealbridge.dev/sealed-for-age-recipients: 0123456789abcdef\nspec:\n  encryptedData: {k: AgBold}\n";
    const scanned = scanFile("a.yaml", text);
    assert.equal(scanned.kind, "found");
    if (scanned.kind !== "found") return;
    const doc = scanned.documents[0];
    assert.ok(doc?.recorded);
    const site = doc.values.get("k")?.site;
    assert.ok(site);
    assert.equal(scalarEdit(doc.recorded.site, "fedcba9876543210,0011223344556677").after, "fedcba9876543210,0011223344556677\n", "a comma is plain in block context");
    assert.equal(scalarEdit(doc.recorded.site, "1234567890123456").after, '"1234567890123456"\n', "digits only would read as a number");
    assert.equal(scalarEdit(site, "AgB,new").after, '"AgB,new"', "a comma ends a plain scalar in a flow mapping");
    assert.equal(scalarEdit(site, "AgBnew").after, "AgBnew");
  });

  it("a rewrite that changes anything else is caught", () => {
    const scanned = scanFile("f.yaml", FILE);
    assert.equal(scanned.kind, "found");
    if (scanned.kind !== "found") return;
    const tampered = FILE.replace("app: db", "app: other");
    const check = checkRewrite("f.yaml", scanned.documents, tampered, [{ index: 1, values: {} }]);
    assert.equal(check.ok, false);
    if (!check.ok) assert.match(check.message, /SealedSecret team-a\/db: the rewritten document differs/);
  });

  it("a file it cannot parse is a finding with its path and line; files without the kinds are skipped unparsed", () => {
    const broken = "apiVersion: bitnami.com/v1alpha1\nkind: SealedSecret\nmetadata:\n  name: x\nspec:\n  encryptedData: {a: AgB\n";
    const scanned = scanFile("dir/broken.yaml", broken);
    assert.equal(scanned.kind, "failed");
    if (scanned.kind === "failed") {
      assert.equal(scanned.finding.path, "dir/broken.yaml");
      assert.equal(typeof scanned.finding.line, "number");
      assert.match(scanned.finding.message, /cannot be parsed as YAML/);
      assert.doesNotMatch(scanned.finding.message, /AgB/);
    }
    assert.equal(scanFile("t.yaml", "{{ if .Values.x }}\nkind: Secret\n{{ end }}\n").kind, "skipped");
    const list = scanFile("l.yaml", "apiVersion: v1\nkind: List\nitems:\n- apiVersion: bitnami.com/v1alpha1\n  kind: SealedSecret\n  metadata: {name: x}\n");
    assert.equal(list.kind, "failed", "sealed objects inside a List are reported, never skipped");
    if (list.kind === "failed") assert.match(list.finding.message, /a List holding SealedSecrets or AgeSecrets/);
    const alias = "apiVersion: bitnami.com/v1alpha1\nkind: SealedSecret\nmetadata: {name: x, namespace: y}\nx: &v AgBvalue\nspec:\n  encryptedData:\n    a: *v\n";
    const aliased = scanFile("a.yaml", alias);
    assert.equal(aliased.kind, "failed");
    if (aliased.kind === "failed") {
      assert.equal(aliased.finding.line, 7);
      assert.match(aliased.finding.message, /encryptedData\["a"\] is not a string written in place/);
    }
  });

  it("the summary counts per object and never holds a value", () => {
    const text = formatSummary({
      files: [{ path: "a.yaml", changed: true, objects: [{ label: "SealedSecret n/db", reencrypted: 2, unchanged: 1 }] }],
      findings: [{ path: "b.yaml", line: 4, message: "cannot be parsed as YAML: not valid YAML (line 4, column 1)" }],
      skipped: 3,
      dryRun: false,
      written: 0,
    });
    assert.equal(
      text,
      "a.yaml: not written\n  SealedSecret n/db: 2 re-encrypted, 1 unchanged\nerror: b.yaml:4: cannot be parsed as YAML: not valid YAML (line 4, column 1)\n" +
        "1 file(s) with 1 sealed object(s) (3 other file(s) skipped): 2 value(s) re-encrypted, 1 unchanged; 1 problem(s): nothing written\n",
    );
  });
});
