// The root logger. Every object gets a child logger ({kind, namespace, name}); secret material is
// never passed to a logger, and pino's redact is a second line of defence for fields that could hold it.
import { pino, type DestinationStream, type Logger } from "pino";

export type { Logger } from "pino";

export const REDACTED_PATHS = [
  "data",
  "stringData",
  "*.data",
  "*.stringData",
  "token",
  "*.token",
  "privateKey",
  "*.privateKey",
  "password",
  "*.password",
  "secretAccessKey",
  "*.secretAccessKey",
];

export interface LoggerOptions {
  level?: string;
  /** Where lines go; stdout when omitted. Tests pass an in-memory stream. */
  destination?: DestinationStream;
}

export function createLogger(options: LoggerOptions = {}): Logger {
  return pino(
    {
      name: "sealbridge",
      level: options.level ?? "info",
      redact: { paths: REDACTED_PATHS, censor: "[redacted]" },
      base: null,
      timestamp: pino.stdTimeFunctions.isoTime,
    },
    options.destination ?? pino.destination({ dest: 1, sync: true }),
  );
}
