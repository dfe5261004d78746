// Benchmark: resident memory the AWS provider SDKs cost when they load (they load lazily, only for a
// store that needs them). Each run is a fresh process that creates, one after the other, clients of
// the services named on the command line from the compiled build (dist/, as the image runs it) and
// prints the RSS growth after each, measured after garbage collection.
// Run: npm run bench:aws-sdk-memory   (builds dist/, then runs "ssm", "sm" and "sm ssm" three times each)
import { spawnSync } from "node:child_process";
import { fileURLToPath } from "node:url";
import type { createParameterStoreClient as ParameterStoreFactory } from "../src/providers/aws/parameter-store.ts";
import type { createAwsClient as SecretsManagerFactory } from "../src/providers/aws/secrets-manager.ts";

const dist = (path: string) => new URL(`../dist/${path}`, import.meta.url).href;
const mib = () => process.memoryUsage().rss / 2 ** 20;
const gc = (globalThis as { gc?: () => void }).gc;

async function settle(): Promise<number> {
  gc?.();
  await new Promise((r) => setTimeout(r, 300));
  gc?.();
  return mib();
}

async function measure(services: readonly string[]): Promise<string> {
  const spec = (service: string) => ({ kind: "aws", service, region: "eu-west-1", additionalRoles: [], auth: { kind: "default" } });
  const parts: string[] = [`base ${(await settle()).toFixed(1)} MiB`];
  for (const service of services) {
    const before = await settle();
    if (service === "ssm") {
      const { createParameterStoreClient } = (await import(dist("providers/aws/parameter-store.js"))) as { createParameterStoreClient: typeof ParameterStoreFactory };
      (await createParameterStoreClient({ spec: spec("ParameterStore") as never, credentials: {} as never, options: {} })).close();
    } else {
      const { createAwsClient } = (await import(dist("providers/aws/secrets-manager.js"))) as { createAwsClient: typeof SecretsManagerFactory };
      (await createAwsClient({ spec: spec("SecretsManager") as never, credentials: {} as never, options: {} })).close();
    }
    parts.push(`${service} +${((await settle()) - before).toFixed(1)} MiB`);
  }
  return parts.join(", ");
}

const args = process.argv.slice(2);
if (args[0] === "--child") {
  process.stdout.write(`${await measure(args.slice(1))}\n`);
} else {
  if (!gc) throw new Error("run with node --expose-gc");
  for (const services of [["ssm"], ["sm"], ["sm", "ssm"]]) {
    for (let i = 0; i < 3; i++) {
      const out = spawnSync(process.execPath, ["--expose-gc", fileURLToPath(import.meta.url), "--child", ...services], { encoding: "utf8" });
      if (out.status !== 0) throw new Error(out.stderr);
      process.stdout.write(`${services.join(" then ").padEnd(12)} ${out.stdout}`);
    }
  }
}
