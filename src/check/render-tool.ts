// Runs the real kustomize on an overlay. The overlay is built through a throwaway wrapper
// kustomization that adds kustomize's own build metadata (buildMetadata: originAnnotations,
// transformerAnnotations), so each output object says which file it came from and which
// kustomization renamed it; the user's files are never modified.
import { execFile } from "node:child_process";
import { constants } from "node:fs";
import { access, mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { delimiter, join, relative, sep } from "node:path";
import { isBoundedParseError, parseYaml, parseYamlDocuments, yamlDocumentToJs, type ParseLimits } from "../api/bounded-parse.ts";
import { fromToolOutput, RENDERED_KINDS, type Rendering, type RendererName, type TreeLoader } from "./rendering.ts";

export interface RenderTool {
  name: Exclude<RendererName, "builtin">;
  /** The executable and the arguments before the directory. */
  command: string;
  args: readonly string[];
}

/** A rendering is bounded like any input: its size, its parse, its time. */
const OUTPUT_LIMITS: Partial<ParseLimits> = { maxBytes: 64 << 20, maxNodes: 4_000_000, maxTokens: 16_000_000 };
const TIMEOUT_MS = 120_000;
const RENDERED_KIND = new RegExp(`^kind: *["']?(${RENDERED_KINDS.join("|")})["']? *$`, "m");

async function executable(path: string): Promise<boolean> {
  try {
    await access(path, constants.X_OK);
    return true;
  } catch {
    return false;
  }
}

async function onPath(name: string, pathVar: string | undefined): Promise<string | undefined> {
  for (const dir of (pathVar ?? "").split(delimiter)) {
    if (dir === "") continue;
    const candidate = join(dir, name);
    if (await executable(candidate)) return candidate;
  }
  return undefined;
}

/** `kustomize` on PATH first (what Flux and Argo CD embed), then `kubectl kustomize`. */
export async function findRenderTool(pathVar: string | undefined, want: "auto" | "kustomize" | "kubectl"): Promise<RenderTool | undefined> {
  if (want !== "kubectl") {
    const k = await onPath("kustomize", pathVar);
    if (k !== undefined) return { name: "kustomize", command: k, args: ["build"] };
  }
  if (want !== "kustomize") {
    const k = await onPath("kubectl", pathVar);
    if (k !== undefined) return { name: "kubectl", command: k, args: ["kustomize"] };
  }
  return undefined;
}

function run(tool: RenderTool, dir: string, env: NodeJS.ProcessEnv): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolveRun) => {
    execFile(tool.command, [...tool.args, dir], { env, maxBuffer: 64 << 20, timeout: TIMEOUT_MS, killSignal: "SIGKILL" }, (err, stdout, stderr) => {
      if (err === null) resolveRun({ code: 0, stdout, stderr });
      else resolveRun({ code: typeof err.code === "number" ? err.code : 1, stdout: "", stderr: err.killed ? `timed out after ${TIMEOUT_MS / 1000} s` : stderr || err.message });
    });
  });
}

/**
 * One line of kustomize's error for a finding: its last "Error:" line, without anything that looks
 * like a value from the files (`redact` replaces those), cut to a readable length.
 */
export function toolErrorLine(stderr: string, redact: (text: string) => string): string {
  const lines = stderr.split("\n").map((l) => l.trim()).filter((l) => l !== "");
  const line = lines.findLast((l) => l.startsWith("Error:")) ?? lines.at(-1) ?? "failed";
  const clean = redact(line.replace(/^Error:\s*/, "").replace(/^E\d{4} [\d:.]+\s+\d+ \S+\] /, ""));
  return clean.length > 400 ? `${clean.slice(0, 400)}…` : clean;
}

export async function renderWithTool(opts: { tool: RenderTool; root: string; loader: TreeLoader; env: NodeJS.ProcessEnv; redact: (text: string) => string }): Promise<Rendering> {
  const { tool, root, loader } = opts;
  const wrapper = await mkdtemp(join(tmpdir(), "sealbridge-check-"));
  try {
    const rel = relative(wrapper, root).split(sep).join("/");
    await writeFile(join(wrapper, "kustomization.yaml"), `resources:\n- ${JSON.stringify(rel)}\nbuildMetadata: [originAnnotations, transformerAnnotations]\n`);
    const result = await run(tool, wrapper, opts.env);
    const where = loader.kustomizationIn(root);
    const file = where !== undefined ? loader.display(where.path) : loader.display(root);
    const fail = (message: string): Rendering => ({
      root,
      renderer: tool.name,
      objects: [],
      findings: [{ rule: "kustomize-error", severity: "error", file, line: 0, message }],
      notes: [],
    });
    if (result.code !== 0) {
      // Paths in kustomize's messages are relative to the wrapper: show them from the working directory.
      let message = toolErrorLine(result.stderr, opts.redact).replaceAll(wrapper, "<overlay>");
      // The wrapper adds a layer to kustomize's message; what the overlay itself said follows it.
      const own = `recursed accumulation of path '${root}': `;
      if (message.includes(own)) message = message.slice(message.indexOf(own) + own.length);
      return fail(`${tool.name === "kubectl" ? "kubectl kustomize" : "kustomize build"} failed: ${message}`);
    }
    let docs: unknown[];
    try {
      // kustomize writes each object with its top-level keys at column 0 and "---" between them: only
      // the kinds check looks at are parsed (most of an overlay is Deployments and ConfigMaps).
      docs = result.stdout
        .split(/^---[ \t]*$/m)
        .filter((part) => RENDERED_KIND.test(part))
        .flatMap((part) => parseYamlDocuments(part, { limits: OUTPUT_LIMITS }).map((d) => yamlDocumentToJs(d, { limits: OUTPUT_LIMITS })));
    } catch (err) {
      if (!isBoundedParseError(err)) throw err;
      return fail(`the rendered output is refused (${err.reason})`);
    }
    const small = (text: string): unknown => {
      try {
        return parseYaml(text);
      } catch {
        return undefined;
      }
    };
    return fromToolOutput(root, wrapper, tool.name, docs, loader, small);
  } finally {
    await rm(wrapper, { recursive: true, force: true });
  }
}
