// sealbridge template: render a Go template offline, the way ESO or Sealed Secrets would.
import { readFile } from "node:fs/promises";
import { resolve } from "node:path";
import { isBoundedParseError, parseYaml } from "../api/bounded-parse.ts";
import { TemplateError } from "../template/errors.ts";
import { type TemplateProfile, render } from "../template/template.ts";
import { type Value, fromPlain, stringMap } from "../template/values.ts";
import { CliError, type CliIo } from "./io.ts";
import { CLI_PARSE_LIMITS } from "./manifests.ts";

const HELP = `Usage: sealbridge template [-f FILE | -] [--values FILE] [flags]

Renders a Go text/template (with Sprig and ESO's helpers) offline, so template errors show up
before the manifest reaches the cluster.

Flags:
  -f, --file FILE         template file ('-' or omitted: standard input)
      --values FILE       values as JSON or YAML (a mapping); '-' reads standard input
      --set KEY=VALUE     set one value (repeatable; applied after --values)
      --profile NAME      eso (default: missingkey=error, ESO helpers) or sealed-secrets
      --raw-values        keep nested values as they are instead of converting every value to a
                          string (ESO and Sealed Secrets both pass map[string]string)
      --left-delim S      left delimiter (default {{)
      --right-delim S     right delimiter (default }})
      --max-output N      output limit in bytes
  -h, --help              this help

Errors print one line: FILE:LINE:COL: message.
`;

interface Flags {
  file: string | undefined;
  values: string | undefined;
  set: string[];
  profile: TemplateProfile;
  raw: boolean;
  leftDelim?: string;
  rightDelim?: string;
  maxOutput?: number;
}

function parseFlags(args: readonly string[]): Flags | "help" {
  const f: Flags = { file: undefined, values: undefined, set: [], profile: "eso", raw: false };
  for (let i = 0; i < args.length; i++) {
    const a = args[i] ?? "";
    const [name, inline] = a.startsWith("--") && a.includes("=") ? [a.slice(0, a.indexOf("=")), a.slice(a.indexOf("=") + 1)] : [a, undefined];
    const value = (): string => {
      if (inline !== undefined) return inline;
      const v = args[++i];
      if (v === undefined) throw new CliError(`flag ${name} needs a value`, 2);
      return v;
    };
    switch (name) {
      case "-h":
      case "--help":
        return "help";
      case "-f":
      case "--file":
        f.file = value();
        break;
      case "--values":
        f.values = value();
        break;
      case "--set":
        f.set.push(value());
        break;
      case "--profile": {
        const p = value();
        if (p !== "eso" && p !== "sealed-secrets") throw new CliError(`unknown profile "${p}" (want eso or sealed-secrets)`, 2);
        f.profile = p;
        break;
      }
      case "--raw-values":
        f.raw = true;
        break;
      case "--left-delim":
        f.leftDelim = value();
        break;
      case "--right-delim":
        f.rightDelim = value();
        break;
      case "--max-output": {
        const n = Number(value());
        if (!Number.isInteger(n) || n <= 0) throw new CliError("--max-output must be a positive integer", 2);
        f.maxOutput = n;
        break;
      }
      default:
        if (a === "-" && f.file === undefined) f.file = "-";
        else throw new CliError(`unknown flag ${a}; run 'sealbridge template --help'`, 2);
    }
  }
  return f;
}

async function readInput(path: string, io: CliIo): Promise<string> {
  if (path === "-") return Buffer.from(await io.readStdin()).toString("utf8");
  try {
    return await readFile(resolve(io.cwd, path), "utf8");
  } catch (e) {
    throw new CliError(`cannot read ${path}: ${e instanceof Error ? e.message : String(e)}`);
  }
}

function asString(v: unknown): string {
  if (typeof v === "string") return v;
  if (v === null || v === undefined) return "";
  if (typeof v === "object") return JSON.stringify(v);
  return typeof v === "number" || typeof v === "boolean" || typeof v === "bigint" ? String(v) : "";
}

export async function templateCommand(args: readonly string[], io: CliIo): Promise<number> {
  const flags = parseFlags(args);
  if (flags === "help") {
    io.stdout(HELP);
    return 0;
  }
  const file = flags.file ?? "-";
  if (file === "-" && flags.values === "-") throw new CliError("template and values cannot both come from standard input", 2);
  const text = await readInput(file, io);
  let values: Record<string, unknown> = {};
  if (flags.values !== undefined) {
    const raw = await readInput(flags.values, io);
    let parsed: unknown;
    try {
      parsed = parseYaml(raw, { limits: CLI_PARSE_LIMITS });
    } catch (e) {
      if (!isBoundedParseError(e)) throw e;
      throw new CliError(`${flags.values}: not valid JSON or YAML (${e.reason}): ${e.message}`);
    }
    if (parsed !== null && parsed !== undefined) {
      if (typeof parsed !== "object" || Array.isArray(parsed)) throw new CliError(`${flags.values}: values must be a mapping`);
      values = parsed as Record<string, unknown>;
    }
  }
  for (const kv of flags.set) {
    const eq = kv.indexOf("=");
    if (eq <= 0) throw new CliError(`--set wants KEY=VALUE, got "${kv}"`, 2);
    values[kv.slice(0, eq)] = kv.slice(eq + 1);
  }
  const data: Value = flags.raw ? fromPlain(values) : stringMap(Object.entries(values).map(([k, v]) => [k, asString(v)]));
  const name = file === "-" ? "stdin" : file;
  try {
    const out = render(name, text, data, {
      profile: flags.profile,
      ...(flags.leftDelim !== undefined ? { leftDelim: flags.leftDelim } : {}),
      ...(flags.rightDelim !== undefined ? { rightDelim: flags.rightDelim } : {}),
      ...(flags.maxOutput !== undefined ? { limits: { maxOutputBytes: flags.maxOutput } } : {}),
    });
    io.stdout(out);
    return 0;
  } catch (e) {
    if (e instanceof TemplateError) {
      const where = e.line > 0 ? `${name}:${e.line}:${e.column > 0 ? e.column : 1}: ` : `${name}: `;
      throw new CliError(`${where}${e.message.replace(/\n/g, " ")}`);
    }
    throw e;
  }
}

export default templateCommand;
