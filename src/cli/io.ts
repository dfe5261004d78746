// What a CLI command may touch of the outside world. Tests pass an in-memory one.
export interface CliIo {
  /** Reads all of standard input. */
  readStdin(): Promise<Uint8Array>;
  stdout(chunk: string | Uint8Array): void;
  stderr(chunk: string): void;
  env: Readonly<Record<string, string | undefined>>;
  cwd: string;
}

/** A failure that the CLI reports as one line on stderr with a non-zero exit code. */
export class CliError extends Error {
  readonly exitCode: number;
  constructor(message: string, exitCode = 1) {
    super(message);
    this.name = "CliError";
    this.exitCode = exitCode;
  }
}

export function processIo(): CliIo {
  return {
    async readStdin() {
      const chunks: Buffer[] = [];
      for await (const chunk of process.stdin) chunks.push(chunk as Buffer);
      return Buffer.concat(chunks);
    },
    stdout: (chunk) => process.stdout.write(chunk),
    stderr: (chunk) => process.stderr.write(chunk),
    env: process.env,
    cwd: process.cwd(),
  };
}
