// The CLI as a function: run(argv, io) resolves to an exit code. The bin file only calls it.
import { packageVersion } from "../version.ts";
import { CliError, type CliIo } from "./io.ts";

export type Command = (args: readonly string[], io: CliIo) => Promise<number>;

const USAGE = `Usage: sealbridge <command> [flags]

Commands:
  seal       seal a Secret like kubeseal (same flags; --age for an AgeSecret)
  check      check a repository before merge: what will not decrypt or sync (offline or online)
  reseal     re-encrypt the SealedSecret/AgeSecret files under PATH... to the newest key, in place
  keygen     generate an offline age identity (--pq for post-quantum), or print recipients (-y)
  template   render a Go template (ESO / Sealed Secrets) offline from a values file
  version    print the version

Run 'sealbridge <command> --help' for a command's flags.
`;

async function loadCommand(name: string): Promise<Command | undefined> {
  switch (name) {
    case "seal":
      return (await import("./seal.ts")).sealCommand;
    case "check":
      return (await import("./check.ts")).checkCommand;
    case "reseal":
      return (await import("./reseal.ts")).resealCommand;
    case "template":
      return (await import("./template.ts")).templateCommand;
    case "keygen":
      return (await import("./keygen.ts")).keygenCommand;
    case "version":
      return async (_args, io) => {
        io.stdout(`sealbridge ${packageVersion()}\n`);
        return 0;
      };
    default:
      return undefined;
  }
}

export async function run(argv: readonly string[], io: CliIo): Promise<number> {
  const [name, ...rest] = argv;
  if (name === undefined || name === "help" || name === "--help" || name === "-h") {
    io.stdout(USAGE);
    return name === undefined ? 2 : 0;
  }
  const command = await loadCommand(name);
  if (command === undefined) {
    io.stderr(`error: unknown command "${name}"; run 'sealbridge help' for the list\n`);
    return 2;
  }
  try {
    return await command(rest, io);
  } catch (err) {
    if (err instanceof CliError) {
      io.stderr(`error: ${err.message}\n`);
      return err.exitCode;
    }
    // Unexpected failure: one line, no stack trace (it could quote input).
    io.stderr(`error: ${err instanceof Error ? err.message : String(err)}\n`);
    return 1;
  }
}
