/** Command-line parsing shared by the subcommands: one wording for every usage error. */

import { type ParseArgsConfig, parseArgs } from "node:util";
import { CliError, EXIT } from "./exit-codes.js";

type Options = NonNullable<ParseArgsConfig["options"]>;

/** Parses `argv` for `tessera <command>`; unknown flags become usage errors that point at --help. */
export function parseCommand(
  command: string,
  argv: string[],
  options: Options,
  allowPositionals = false,
): { values: Record<string, string | boolean | undefined>; positionals: string[] } {
  try {
    const { values, positionals } = parseArgs({
      args: argv,
      options: { ...options, help: { type: "boolean", short: "h" } },
      allowPositionals,
    });
    return { values: values as Record<string, string | boolean | undefined>, positionals };
  } catch (err) {
    throw new CliError(EXIT.USAGE, `${(err as Error).message}; see \`tessera ${command} --help\``);
  }
}

/** An integer flag (or its environment variable) of at least `min`; undefined when unset. */
export function intArg(name: string, text: string | boolean | undefined, min: number): number | undefined {
  if (text === undefined || text === "" || typeof text === "boolean") return undefined;
  const n = Number(text);
  if (!Number.isInteger(n) || n < min)
    throw new CliError(EXIT.USAGE, `${name} must be an integer of at least ${min}, got ${JSON.stringify(text)}`);
  return n;
}

/** A string flag, else its environment variable, else undefined. */
export function stringArg(value: string | boolean | undefined, envName?: string): string | undefined {
  if (typeof value === "string" && value !== "") return value;
  const env = envName === undefined ? undefined : process.env[envName];
  return env === undefined || env === "" ? undefined : env;
}

/** Resolves when the process is told to stop (Ctrl-C or SIGTERM), once. */
export function untilSignal(): Promise<NodeJS.Signals> {
  return new Promise((resolve) => {
    const on = (signal: NodeJS.Signals) => {
      process.off("SIGINT", on);
      process.off("SIGTERM", on);
      resolve(signal);
    };
    process.on("SIGINT", on);
    process.on("SIGTERM", on);
  });
}
