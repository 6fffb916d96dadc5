// Upper bounds on what a plan may say, so that no value makes validate pass and a run
// hang or exhaust memory. Each is checked by the plan schema with a message naming it.

/** Experiment, test and plan names: they become file names, metric labels and report headings. */
export const MAX_NAME_LENGTH = 128;
/** Any other string: hosts, paths, accounts, environment variable names, RSE names. */
export const MAX_TEXT_LENGTH = 4096;
/** An experiment's free-text description. */
export const MAX_DESCRIPTION_LENGTH = 10_000;
export const MAX_EXPERIMENTS = 100;
export const MAX_TESTS_PER_EXPERIMENT = 1000;
/** RSEs listed by name in one rses.names. */
export const MAX_RSE_NAMES = 1000;
/** Schedule offset and jitter: within a day. */
export const MAX_SCHEDULE_SECONDS = 86_400;
/** A p95 latency criterion: at most a day, in milliseconds. */
export const MAX_P95_MS = 86_400_000;
