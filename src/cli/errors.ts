/** CLI exit codes (documented in the README) and the one-line error the CLI prints. */

export const EXIT = {
  OK: 0,
  /** A check failed (policy check/test, audit verify), or the key or client a keys command names is not in the keys file. */
  CHECK_FAILED: 1,
  /** Bad command-line usage. */
  USAGE: 2,
  /** Configuration or policy could not be loaded at startup. */
  CONFIG: 3,
  /** Runtime failure (cannot bind a port, backend cannot start, I/O error). */
  RUNTIME: 4,
} as const;

/** An error the CLI reports as one line, without a stack trace, and exits with `exitCode`. */
export class CliError extends Error {
  constructor(
    message: string,
    readonly exitCode: number = EXIT.RUNTIME,
  ) {
    super(message);
    this.name = 'CliError';
  }
}
