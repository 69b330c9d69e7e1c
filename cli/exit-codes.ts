/**
 * Exit codes of the `tessera` command, in one place. Scripts can rely on them:
 *
 *   0 ok · 1 the job failed or an internal error · 2 bad command line
 *   3 bad pipeline · 4 bad input file · 5 output cannot be written
 */

export const EXIT = { OK: 0, FAILED: 1, USAGE: 2, PIPELINE: 3, INPUT: 4, OUTPUT: 5 } as const;
export type ExitCode = (typeof EXIT)[keyof typeof EXIT];

/** An error the CLI reports as one line on stderr with its exit code. */
export class CliError extends Error {
  readonly exitCode: ExitCode;
  constructor(exitCode: ExitCode, message: string) {
    super(message);
    this.exitCode = exitCode;
  }
}

/** Maps any error to its exit code: the single place that does. */
export function exitCodeOf(err: unknown): ExitCode {
  if (err instanceof CliError) return err.exitCode;
  const code = (err as { code?: string }).code;
  if (code === "INVALID_PIPELINE") return EXIT.PIPELINE;
  if (code === "NOT_AN_IMAGE" || code === "UNSUPPORTED_FORMAT" || code === "CORRUPT_IMAGE" || code === "TOO_MANY_PIXELS")
    return EXIT.INPUT;
  return EXIT.FAILED;
}
