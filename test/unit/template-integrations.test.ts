import assert from "node:assert/strict";
import { test } from "node:test";
import { renderEsoTemplate } from "../../src/template/eso.ts";
import { renderSealedSecretTemplate } from "../../src/template/sealed-secrets.ts";
import { run } from "../../src/cli/run.ts";
import type { CliIo } from "../../src/cli/io.ts";

void test("ESO: data, templateFrom (Values, KeysAndValues, literal), metadata, mergePolicy", () => {
  const out = renderEsoTemplate({
    data: { user: "bob", password: "pw", uri: "oci://x" },
    template: {
      engineVersion: "v2",
      mergePolicy: "Merge",
      metadata: { labels: { owner: "{{ .user }}" } },
      data: { password: "{{ .password | b64enc }}" },
      templateFrom: [
        { target: "Data", configMap: { data: { "config.yaml": "url: {{ .uri }}", templated: "app-{{ .user }}: {{ .password }}\n{{- if hasPrefix \"oci://\" .uri }}\nenableOCI: true\n{{- end }}" }, items: [{ key: "config.yaml", templateAs: "Values" }, { key: "templated", templateAs: "KeysAndValues" }] } },
        { target: "Annotations", literal: "synced-for/{{ .user }}: yes" },
      ],
    },
  });
  assert.deepEqual(out.data, { user: "bob", password: "cHc=", uri: "oci://x", "config.yaml": "url: oci://x", "app-bob": "pw", enableOCI: "true" });
  assert.deepEqual(out.labels, { owner: "bob" });
  assert.deepEqual(out.annotations, { "synced-for/bob": "true" });
});

void test("ESO: a template error names the key", () => {
  assert.throws(() => renderEsoTemplate({ data: {}, template: { data: { k: "{{ .missing }}" } } }), /unable to execute template at key k: .*no entry for key "missing"/);
});

void test("Sealed Secrets: decrypted values are the context; missing keys print <no value>", () => {
  const out = renderSealedSecretTemplate({
    decrypted: { server1: new Uint8Array(Buffer.from("baz")) },
    templateData: { "config.json": '{"password": {{ toJson .server1 }}, "x": "{{ .nope }}"}', bad: "{{ .server1 | b64enc | nosuch }}" },
  });
  assert.equal(Buffer.from(out.data["config.json"] ?? []).toString(), '{"password": "baz", "x": "<no value>"}');
  assert.equal(Buffer.from(out.data["server1"] ?? []).toString(), "baz");
  assert.equal(out.errors.length, 1);
  assert.equal(out.errors[0]?.key, "bad");
});

function memIo(stdin = ""): CliIo & { out: string; err: string } {
  const io = {
    out: "",
    err: "",
    readStdin: () => Promise.resolve(new Uint8Array(Buffer.from(stdin))),
    stdout: (c: string | Uint8Array) => {
      io.out += typeof c === "string" ? c : Buffer.from(c).toString();
    },
    stderr: (c: string) => {
      io.err += c;
    },
    env: {},
    cwd: process.cwd(),
  };
  return io;
}

void test("sealbridge template renders from stdin with --set and reports line:col errors", async () => {
  let io = memIo("hi {{ .name | upper }}");
  assert.equal(await run(["template", "--set", "name=bob"], io), 0);
  assert.equal(io.out, "hi BOB");
  io = memIo("a\n  {{ .nope }}");
  assert.equal(await run(["template"], io), 1);
  assert.match(io.err, /^error: stdin:2:6: .*map has no entry for key "nope"\n$/);
  io = memIo("");
  assert.equal(await run(["template", "--help"], io), 0);
  assert.match(io.out, /--values/);
});
