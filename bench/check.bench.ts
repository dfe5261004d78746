// `sealbridge check` on a generated repository of 1,000 manifest files (SealedSecrets, SopsSecrets,
// ExternalSecrets and stores, plain Secrets, other objects; 20 apps each with a base and a prod
// overlay), offline, as a user runs it (a new process). Prints the wall time per renderer; the
// target is under 5 s. Run: npm run bench:check   (FILES=1000; KUSTOMIZE=/path/to/kustomize to
// also time the real kustomize; by default the one scripts/build-tools.sh cached, when present).
import { spawnSync } from "node:child_process";
import { existsSync } from "node:fs";
import { mkdir, mkdtemp, rm, writeFile } from "node:fs/promises";
import { homedir, tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { generateX25519Identity, identityToRecipient } from "age-encryption";
import { stringify } from "yaml";
import { generateSealingKeyPair, parseSealingCertificate } from "../src/crypto/certificate.ts";
import { scopeLabel } from "../src/crypto/scope.ts";
import { sealValue } from "../src/crypto/sealed.ts";
import { sopsDocument } from "../test/support/sops-document.ts";

const FILES = Number(process.env["FILES"] ?? "1000");
const APPS = 20;
const main = fileURLToPath(new URL("../src/cli/main.ts", import.meta.url));

const dir = await mkdtemp(join(tmpdir(), "sb-check-bench-"));
const put = async (path: string, content: string) => {
  await mkdir(dirname(join(dir, path)), { recursive: true });
  await writeFile(join(dir, path), content);
};

const pair = await generateSealingKeyPair({ now: new Date(), bits: 4096 });
const cert = parseSealingCertificate(pair.certificatePem, new Date());
const recipient = await identityToRecipient(await generateX25519Identity());
await put("cluster/cert.pem", pair.certificatePem);
await put("cluster/recipients.txt", `${recipient}\n`);
// One SOPS document, reused: encrypting is not what is measured.
const document = await sopsDocument({ values: { password: "bench-value", user: "svc" }, recipients: [recipient], format: "yaml" });

const perApp = Math.floor((FILES - 2 * APPS) / APPS);
let files = 0;
for (let a = 0; a < APPS; a++) {
  const ns = `team-${a}`;
  const names: string[] = [];
  for (let i = 0; i < perApp; i++) {
    const name = `obj-${i}`;
    const file = `${name}.yaml`;
    let body: string;
    switch (i % 5) {
      case 0: {
        const encryptedData = Object.fromEntries(["user", "password", "url"].map((k) => [k, sealValue({ publicKey: cert.publicKey, plaintext: Buffer.from(`v-${k}`), label: scopeLabel("strict", ns, name) })]));
        body = stringify({ apiVersion: "bitnami.com/v1alpha1", kind: "SealedSecret", metadata: { name, namespace: ns, annotations: { "sealbridge.dev/sealed-with-cert-sha256": pair.fingerprint } }, spec: { encryptedData, template: { type: "Opaque" } } });
        break;
      }
      case 1:
        body = stringify({ apiVersion: "sealbridge.dev/v1alpha1", kind: "SopsSecret", metadata: { name, namespace: ns, annotations: { "sealedsecrets.bitnami.com/namespace-wide": "true" } }, spec: { document } });
        break;
      case 2:
        body =
          stringify({ apiVersion: "external-secrets.io/v1", kind: "ExternalSecret", metadata: { name, namespace: ns }, spec: { refreshInterval: "1h", secretStoreRef: { name: `vault-${i}`, kind: "SecretStore" }, target: { name }, data: [{ secretKey: "pw", remoteRef: { key: `${ns}/${name}`, property: "password" } }] } }) +
          "---\n" +
          stringify({ apiVersion: "external-secrets.io/v1", kind: "SecretStore", metadata: { name: `vault-${i}`, namespace: ns }, spec: { provider: { vault: { server: "http://127.0.0.1:8200", path: "secret", version: "v2" } } } });
        break;
      case 3:
        body = stringify({ apiVersion: "apps/v1", kind: "Deployment", metadata: { name, namespace: ns }, spec: { replicas: 2, selector: { matchLabels: { app: name } }, template: { metadata: { labels: { app: name } }, spec: { containers: [{ name: "app", image: "example/app:1.0", envFrom: [{ secretRef: { name } }] }] } } } });
        break;
      default:
        body = stringify({ apiVersion: "v1", kind: "ConfigMap", metadata: { name, namespace: ns }, data: Object.fromEntries(Array.from({ length: 20 }, (_, k) => [`key${k}`, `value ${k}`])) });
    }
    await put(`apps/app-${a}/base/${file}`, body);
    names.push(file);
    files++;
  }
  await put(`apps/app-${a}/base/kustomization.yaml`, stringify({ resources: names }));
  await put(`apps/app-${a}/prod/kustomization.yaml`, stringify({ namePrefix: "prod-", resources: ["../base"] }));
  files += 2;
}

const kustomize = process.env["KUSTOMIZE"] ?? join(process.env["SEALBRIDGE_CACHE"] ?? join(homedir(), ".cache", "sealbridge"), "tools", "kustomize-v5.8.2", "bin", "kustomize");
const modes: { title: string; args: string[]; path: string }[] = [{ title: "built-in renderer", args: ["--kustomize", "builtin"], path: "" }];
if (existsSync(kustomize)) modes.push({ title: `kustomize ${kustomize}`, args: ["--kustomize", "kustomize"], path: dirname(kustomize) });

console.log(`node ${process.version}: ${files} manifest files, ${APPS} overlays (namePrefix over a base), offline with --cert and --recipients-file`);
for (const mode of modes) {
  const start = process.hrtime.bigint();
  const r = spawnSync(process.execPath, [...(process.env["CPU_PROF"] !== undefined ? ["--cpu-prof", "--cpu-prof-dir", process.env["CPU_PROF"]] : []), main, "check", "-o", "json", "--cert", "cluster/cert.pem", "--recipients-file", "cluster/recipients.txt", ...mode.args, "."], { cwd: dir, env: { PATH: mode.path, HOME: dir }, maxBuffer: 256 << 20, encoding: "utf8" });
  const seconds = Number(process.hrtime.bigint() - start) / 1e9;
  if (r.status !== 1 && r.status !== 0) {
    console.error(r.stderr);
    process.exitCode = 1;
    continue;
  }
  const report = JSON.parse(r.stdout) as { summary: { files: number; errors: number; overlays: number } };
  const verdict = seconds < 5 ? "under" : "OVER";
  console.log(`${mode.title.padEnd(60)} ${seconds.toFixed(2).padStart(6)} s  (${report.summary.files} files, ${report.summary.overlays} overlays, ${report.summary.errors} errors; ${verdict} the 5 s target)`);
  if (seconds >= 5) process.exitCode = 1;
}
if (process.env["KEEP"] !== undefined) console.log(`kept ${dir}`);
else await rm(dir, { recursive: true, force: true });
