// The Dockerfile, checked statically (no container engine runs the tests). What its final stage
// ships is built, laid out and run against a real control plane in
// test/integration/compiled-build.test.ts.
import assert from "node:assert/strict";
import { shippedNodeFlags } from "../support/shipped-launch.ts";
import { test } from "node:test";
import { dockerfileStages, finalStage } from "../support/dockerfile.ts";

test("Dockerfile: multi-stage; the final stage is a minimal Node 24 runtime, non-root, compiled JS and production modules only", () => {
  const all = dockerfileStages();
  assert.ok(all.length >= 2, "multi-stage");
  const build = all[0];
  const final = all.at(-1);
  assert.ok(build && final);
  assert.match(build.from, /^node:24\b/);
  assert.ok(build.lines.some((l) => /npm run build/.test(l)), "compiles TypeScript");
  assert.ok(build.lines.some((l) => /npm prune --omit=dev/.test(l)), "drops dev dependencies before copying node_modules");
  assert.match(final.from, /^gcr\.io\/distroless\/nodejs24-debian12:nonroot$/, "distroless Node 24 (no shell, no npm)");
  assert.equal(final.lines.filter((l) => /^RUN\b/i.test(l)).length, 0, "nothing runs in the final stage");
  const copies = final.lines.filter((l) => /^(COPY|ADD)\b/i.test(l));
  assert.deepEqual(
    copies.map((l) => l.replace(/\s+/g, " ")),
    [`COPY --from=${build.name ?? "0"} /src/package.json ./package.json`, `COPY --from=${build.name ?? "0"} /src/node_modules ./node_modules`, `COPY --from=${build.name ?? "0"} /src/dist ./dist`],
    "only package.json, production node_modules and compiled dist/",
  );
  const user = final.lines.find((l) => /^USER\b/i.test(l));
  assert.match(user ?? "", /^USER\s+65532(:65532)?$/, "non-root numeric user (runAsNonRoot can verify it)");
  const entrypoint = final.lines.find((l) => /^ENTRYPOINT\b/i.test(l)) ?? "";
  assert.deepEqual(JSON.parse(entrypoint.replace(/^ENTRYPOINT\s+/i, "")), ["/nodejs/bin/node", "--max-semi-space-size=4", "--optimize-for-size", "dist/main.js"], "exec form, node runs the compiled JS with the memory flags");
  assert.doesNotMatch(final.lines.join("\n"), /\bnpm\b|\.ts\b|tsx|ts-node/, "no npm and no TypeScript at run time");
  assert.ok(final.lines.some((l) => /^HEALTHCHECK\b.*\/healthz/.test(l)), "a healthcheck that needs no shell");
  assert.ok(final.lines.some((l) => /^EXPOSE\s+8080\s+8081$/.test(l)));
});

test("the final stage read as data (what test/integration/compiled-build.test.ts lays out and runs)", () => {
  const final = finalStage();
  assert.equal(final.workdir, "/app");
  assert.deepEqual(final.copies, [
    { from: "/src/package.json", to: "./package.json" },
    { from: "/src/node_modules", to: "./node_modules" },
    { from: "/src/dist", to: "./dist" },
  ]);
  assert.deepEqual(final.env, { NODE_ENV: "production" });
  assert.deepEqual(final.entrypoint, ["/nodejs/bin/node", "--max-semi-space-size=4", "--optimize-for-size", "dist/main.js"]);
  assert.deepEqual(shippedNodeFlags(), ["--max-semi-space-size=4", "--optimize-for-size"], "what bench and tests add before the script");
});
