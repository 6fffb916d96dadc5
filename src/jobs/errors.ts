// The library's own error type for failures that decide an exit code, and the documented
// exit codes (README "Exit codes"). The CLI only maps a JobError to its status.

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
  /** `lakeprobe probe`: every test passed, but a threshold or a regression rule failed. */
  thresholdFailed: 5,
  /** `lakeprobe probe`: the lake could not be reached at all (every operation failed to connect). */
  unreachable: 6,
  /** An unexpected internal error (a bug): please report it with the message. */
  internal: 70,
} as const;

/** A failure reported as one clean line with a chosen exit code. */
export class JobError extends Error {
  constructor(message: string, readonly exitCode: number) {
    super(message);
  }
}
