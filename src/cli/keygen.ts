// `sealbridge keygen`: an offline age identity, written the way age-keygen writes it, so the file
// works with `age -d -i`, `sops` (SOPS_AGE_KEY_FILE), Flux (`*.agekey`) and --recovery-unseal.
//   sealbridge keygen [--pq] [-o FILE]      new identity (X25519 by default, --pq for ML-KEM-768+X25519)
//   sealbridge keygen -y [FILE]             the recipients of the identities in FILE (or stdin)
import { readFile, writeFile } from "node:fs/promises";
import { resolve } from "node:path";
import { generateHybridIdentity, generateX25519Identity } from "age-encryption";
import { ageRecipientOf, parseAgeIdentityFile } from "../crypto/age.ts";
import { CliError, type CliIo } from "./io.ts";

const USAGE = `Usage:
    sealbridge keygen [--pq] [-o OUTPUT]
    sealbridge keygen -y [INPUT]

Options:
    --pq                      Generate a post-quantum hybrid ML-KEM-768 + X25519 identity (age1pq1… recipient).
    -o, --output OUTPUT       Write the identity to OUTPUT (mode 0600, never overwritten) instead of stdout.
    -y                        Print the recipients of the identities in INPUT (or stdin).
`;

interface KeygenFlags {
  pq: boolean;
  convert: boolean;
  output?: string;
  input?: string;
}

function parseFlags(args: readonly string[]): KeygenFlags | "help" {
  const flags: KeygenFlags = { pq: false, convert: false };
  for (let i = 0; i < args.length; i++) {
    const arg = args[i] ?? "";
    if (arg === "-h" || arg === "--help") return "help";
    if (arg === "--pq") flags.pq = true;
    else if (arg === "-y") flags.convert = true;
    else if (arg === "-o" || arg === "--output") {
      const next = args[++i];
      if (next === undefined) throw new CliError(`flag needs an argument: ${arg}`, 2);
      flags.output = next;
    } else if (arg.startsWith("--output=")) flags.output = arg.slice("--output=".length);
    else if (arg.startsWith("-") && arg !== "-") throw new CliError(`unknown flag: ${arg}`, 2);
    else if (flags.input === undefined) flags.input = arg;
    else throw new CliError(`unexpected argument: ${arg}`, 2);
  }
  if (flags.input !== undefined && !flags.convert) throw new CliError("an INPUT file is only read with -y", 2);
  if (flags.pq && flags.convert) throw new CliError("-y and --pq cannot be combined", 2);
  return flags;
}

export async function keygenCommand(args: readonly string[], io: CliIo): Promise<number> {
  const flags = parseFlags(args);
  if (flags === "help") {
    io.stdout(USAGE);
    return 0;
  }
  if (flags.convert) {
    const text =
      flags.input === undefined || flags.input === "-"
        ? Buffer.from(await io.readStdin()).toString("utf8")
        : await readFile(resolve(io.cwd, flags.input), "utf8").catch((err: NodeJS.ErrnoException) => {
            throw new CliError(`cannot read ${flags.input ?? ""}: ${err.code ?? "read error"}`);
          });
    const parsed = parseAgeIdentityFile(text);
    if (parsed.problems.length > 0 || parsed.identities.length === 0) {
      throw new CliError(`${flags.input ?? "stdin"}: ${parsed.problems.join("; ") || "no identity in it"}`);
    }
    const recipients = await Promise.all(parsed.identities.map(ageRecipientOf));
    io.stdout(recipients.join("\n") + "\n");
    return 0;
  }
  const identity = flags.pq ? await generateHybridIdentity() : await generateX25519Identity();
  const recipient = await ageRecipientOf(identity);
  const created = new Date().toISOString().replace(/\.\d+Z$/, "Z");
  const file = `# created: ${created}\n# public key: ${recipient}\n${identity}\n`;
  if (flags.output === undefined) {
    io.stdout(file);
    return 0;
  }
  try {
    // "wx": never replace an existing identity file.
    await writeFile(resolve(io.cwd, flags.output), file, { mode: 0o600, flag: "wx" });
  } catch (err) {
    throw new CliError(`cannot write ${flags.output}: ${(err as NodeJS.ErrnoException).code ?? "write error"}`);
  }
  io.stderr(`Public key: ${recipient}\n`);
  return 0;
}

export default keygenCommand;
