import type { Options } from 'yargs';
import { CliError, EXIT } from './exit-codes.js';
import { abs, DEFAULTS } from './common.js';

// Every command names the sandbox's runtime folder `--sandbox-dir` (as run, demo and
// cleanup always did). The `sandbox` commands once called it `--dir`: still accepted,
// hidden from help, so existing scripts keep working.

export const sandboxDirOptions = {
  'sandbox-dir': {
    type: 'string',
    describe: 'sandbox runtime folder (PKI, tokens, data, state)',
    defaultDescription: DEFAULTS.sandboxDir,
  },
  dir: { type: 'string', hidden: true, describe: 'old name of --sandbox-dir' },
} as const satisfies Record<string, Options>;

export interface SandboxDirArgs {
  'sandbox-dir'?: string;
  dir?: string;
}

/** The folder asked for (absolute), by either name; both names with different folders is a usage error. */
export function sandboxDirOf(args: SandboxDirArgs): string {
  const given = args['sandbox-dir'];
  const old = args.dir;
  if (given !== undefined && old !== undefined && abs(given) !== abs(old)) {
    throw new CliError(`--sandbox-dir ${given} and --dir ${old} name different folders: give --sandbox-dir only`, EXIT.invalidInput);
  }
  return abs(given ?? old ?? DEFAULTS.sandboxDir);
}
