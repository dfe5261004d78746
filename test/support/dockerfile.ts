// The Dockerfile read as data: its stages and, for the final one, what the image holds and runs. The
// Dockerfile test checks it statically; the compiled-build test lays out a folder from it, so the
// folder the test runs stays the image's even when the Dockerfile changes.
import { readFileSync } from "node:fs";
import { join } from "node:path";

const root = new URL("../../", import.meta.url).pathname;

export interface Stage {
  from: string;
  name?: string;
  lines: string[];
}

export function dockerfileStages(text: string = readFileSync(join(root, "Dockerfile"), "utf8")): Stage[] {
  const out: Stage[] = [];
  const joined = text.replace(/\\\n/g, " ");
  for (const raw of joined.split("\n")) {
    const line = raw.trim();
    if (line === "" || line.startsWith("#")) continue;
    const from = /^FROM\s+(\S+)(?:\s+AS\s+(\S+))?/i.exec(line);
    if (from) {
      out.push({ from: from[1] ?? "", ...(from[2] ? { name: from[2] } : {}), lines: [] });
      continue;
    }
    out.at(-1)?.lines.push(line);
  }
  return out;
}

/** A stage's last WORKDIR ("/" when it sets none). */
export function workdirOf(stage: Stage): string {
  return stage.lines.map((l) => /^WORKDIR\s+(\S+)$/i.exec(l)?.[1]).filter((w) => w !== undefined).at(-1) ?? "/";
}

export interface FinalStage {
  /** WORKDIR of the final stage. */
  workdir: string;
  /** COPY --from=<build> sources (paths in the build stage) and their destinations under workdir. */
  copies: { from: string; to: string }[];
  env: Record<string, string>;
  entrypoint: string[];
}

/** What the final stage ships and runs (single-source, exec-form COPY/ENV/ENTRYPOINT lines only). */
export function finalStage(stages: Stage[] = dockerfileStages()): FinalStage {
  const final = stages.at(-1);
  if (!final) throw new Error("the Dockerfile has no stage");
  const workdir = workdirOf(final);
  const copies = final.lines.flatMap((l) => {
    const m = /^COPY\s+--from=\S+\s+(\S+)\s+(\S+)$/i.exec(l);
    return m ? [{ from: m[1] ?? "", to: m[2] ?? "" }] : [];
  });
  const env: Record<string, string> = {};
  for (const l of final.lines) {
    const m = /^ENV\s+(\w+)=(\S+)$/i.exec(l);
    if (m) env[m[1] ?? ""] = m[2] ?? "";
  }
  const entry = final.lines.find((l) => /^ENTRYPOINT\b/i.test(l));
  const entrypoint = entry ? (JSON.parse(entry.replace(/^ENTRYPOINT\s+/i, "")) as string[]) : [];
  return { workdir, copies, env, entrypoint };
}
