/** Documented exit codes (README "Exit codes"). */
export const EXIT = {
  /** Everything ran and every test met its success criteria. */
  ok: 0,
  /** The run finished but at least one test failed its success criteria. */
  testsFailed: 1,
  /** The plan or the command line is invalid; nothing was run. */
  invalidInput: 2,
  /** The run could not start: sandbox, results store, metrics port or similar setup failed. */
  setupFailed: 3,
  /** The run finished with at least one critical result (an embargo violation, a checksum mismatch). */
  critical: 4,
  /** An unexpected internal error (a bug): please report it with the message. */
  internal: 70,
} as const;

/** An error the CLI reports as one clean line with a chosen exit code. */
export class CliError extends Error {
  constructor(message: string, readonly exitCode: number) {
    super(message);
  }
}
