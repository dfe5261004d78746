// The files check reads: a walk of the given paths (YAML and JSON files, kustomizations), bounded
// in count and size, and the TreeLoader the renderers read through (cached, so each file is read and
// parsed once whoever asks).
import { readdirSync, readFileSync, statSync } from "node:fs";
import { basename, extname, join, relative, resolve, sep } from "node:path";
import { CHECK_PARSE_LIMITS, parseSourceFile, type SourceDocument } from "./documents.ts";
import type { Finding } from "./finding.ts";
import { KUSTOMIZATION_FILES, parseKustomization } from "./kustomization.ts";
import type { LoadedKustomization, TreeLoader } from "./rendering.ts";

export const MAX_FILES = 100_000;
const SKIPPED_DIRS = new Set([".git", "node_modules"]);
const KUSTOMIZATION_NAMES = new Set<string>(KUSTOMIZATION_FILES);

export function isManifestFile(name: string): boolean {
  const ext = extname(name).toLowerCase();
  return ext === ".yaml" || ext === ".yml" || ext === ".json" || KUSTOMIZATION_NAMES.has(name);
}

export interface Walk {
  files: string[];
  findings: Finding[];
}

export class DiskTree implements TreeLoader {
  readonly cwd: string;
  readonly #docs = new Map<string, SourceDocument[] | Finding>();
  readonly #kustomizations = new Map<string, LoadedKustomization | undefined>();

  constructor(cwd: string) {
    this.cwd = cwd;
  }

  display(path: string): string {
    const rel = relative(this.cwd, path);
    return (rel === "" ? "." : rel).split(sep).join("/");
  }

  pathKind(path: string): "file" | "dir" | "missing" {
    try {
      const st = statSync(path);
      return st.isDirectory() ? "dir" : st.isFile() ? "file" : "missing";
    } catch {
      return "missing";
    }
  }

  documents(file: string): SourceDocument[] | Finding {
    const cached = this.#docs.get(file);
    if (cached !== undefined) return cached;
    const shown = this.display(file);
    let result: SourceDocument[] | Finding;
    try {
      const size = statSync(file).size;
      const max = CHECK_PARSE_LIMITS.maxBytes ?? 0;
      if (size > max) {
        result = { rule: "file-too-large", severity: "warning", file: shown, line: 0, message: `${size} bytes, over the ${max}-byte limit: not checked` };
      } else {
        const parsed = parseSourceFile(shown, readFileSync(file));
        result = "finding" in parsed ? parsed.finding : parsed.documents;
      }
    } catch (err) {
      result = { rule: "parse-error", severity: "error", file: shown, line: 0, message: `cannot read: ${(err as NodeJS.ErrnoException).code ?? "read error"}` };
    }
    this.#docs.set(file, result);
    return result;
  }

  kustomizationIn(dir: string): LoadedKustomization | undefined {
    if (this.#kustomizations.has(dir)) return this.#kustomizations.get(dir);
    let loaded: LoadedKustomization | undefined;
    for (const name of KUSTOMIZATION_FILES) {
      const path = join(dir, name);
      if (this.pathKind(path) !== "file") continue;
      const docs = this.documents(path);
      const doc = Array.isArray(docs) ? docs[0] : undefined;
      const k = doc !== undefined ? parseKustomization(doc.value) : undefined;
      if (doc !== undefined && k !== undefined) loaded = { path, doc, kustomization: k };
      break;
    }
    this.#kustomizations.set(dir, loaded);
    return loaded;
  }

  /** Every manifest file under `paths` (files given by name are taken whatever their extension). */
  walk(paths: readonly string[]): Walk {
    const files: string[] = [];
    const findings: Finding[] = [];
    const seen = new Set<string>();
    const add = (file: string): boolean => {
      if (seen.has(file)) return true;
      if (files.length >= MAX_FILES) {
        findings.push({ rule: "file-too-large", severity: "warning", file: this.display(file), line: 0, message: `more than ${MAX_FILES} manifest files under the paths: the rest are not checked` });
        return false;
      }
      seen.add(file);
      files.push(file);
      return true;
    };
    const visit = (dir: string): boolean => {
      let entries;
      try {
        entries = readdirSync(dir, { withFileTypes: true });
      } catch (err) {
        findings.push({ rule: "parse-error", severity: "error", file: this.display(dir), line: 0, message: `cannot read the directory: ${(err as NodeJS.ErrnoException).code ?? "read error"}` });
        return true;
      }
      entries.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
      // A Helm chart's templates are not YAML until helm renders them: check `helm template`'s output instead.
      const chart = entries.some((e) => e.name === "Chart.yaml" && e.isFile());
      if (chart && entries.some((e) => e.name === "templates" && e.isDirectory())) {
        findings.push({ rule: "not-rendered", severity: "notice", file: this.display(join(dir, "templates")), line: 0, message: "Helm chart templates are not checked: run `helm template` and check its output" });
      }
      for (const e of entries) {
        const path = join(dir, e.name);
        // Directory symlinks are not followed (no loops, nothing outside the tree by surprise).
        if (e.isDirectory()) {
          if (chart && e.name === "templates") continue;
          if (!SKIPPED_DIRS.has(e.name) && !visit(path)) return false;
        } else if ((e.isFile() || e.isSymbolicLink()) && isManifestFile(e.name)) {
          if (e.isSymbolicLink() && this.pathKind(path) !== "file") continue;
          if (!add(path)) return false;
        }
      }
      return true;
    };
    for (const p of paths) {
      const abs = resolve(this.cwd, p);
      const kind = this.pathKind(abs);
      // A path given on the command line is followed even when it is a symlink.
      if (kind === "dir") {
        if (!visit(abs)) break;
      } else if (kind === "file") {
        if (!add(abs)) break;
      }
    }
    return { files, findings };
  }
}

export function isKustomizationFile(file: string): boolean {
  return KUSTOMIZATION_NAMES.has(basename(file));
}
