import type { Argv, CommandModule } from 'yargs';
import { readFile } from 'node:fs/promises';
import {
  describeFault, FAULT_KINDS, FAULT_USERS, FaultAdminError, faultClient, FaultSpecError, LOGIN_PATHS, parseFaultSpec,
  STORAGE_OPERATIONS, TRANSFER_FAILURE_REASONS, type FaultClient, type FaultKind,
} from '../../sandbox/faults/index.js';
import { readSandboxState, type SandboxState } from '../../sandbox/state.js';
import { CliError, EXIT } from '../exit-codes.js';
import { sandboxDirOf, sandboxDirOptions } from '../sandbox-dir.js';
import { out } from '../common.js';

const ACTIONS = ['list', 'add', 'remove', 'clear'] as const;

interface FaultArgs {
  action: (typeof ACTIONS)[number];
  kind?: FaultKind;
  rse?: string;
  operation?: string;
  rate?: number;
  status?: number;
  'delay-ms'?: number;
  user?: string;
  'lifetime-seconds'?: number;
  reason?: string;
  login?: string;
  attempts?: number;
  id?: string;
  'sandbox-dir'?: string;
  dir?: string;
}

/** Where `sandbox up` records the fault admin API of the lake it started. */
type FaultAdminState = SandboxState & { faultAdminUrl?: string; faultSecretFile?: string };

/** Spec field → the option that sets it. */
const OPTION_OF: Record<string, string> = {
  rse: '--rse', operation: '--operation', rate: '--rate', status: '--status',
  delayMs: '--delay-ms', user: '--user', lifetimeSeconds: '--lifetime-seconds', reason: '--reason', login: '--login', attempts: '--attempts',
};

/** 'delayMs: required' → '--delay-ms: required'. */
function asOptions(problems: string[]): string {
  return problems.map((line) => {
    const field = line.slice(0, line.indexOf(':'));
    return OPTION_OF[field] ? `${OPTION_OF[field]}${line.slice(field.length)}` : line;
  }).join('\n');
}

function specFrom(args: FaultArgs): Record<string, unknown> {
  const fields: Record<string, unknown> = {
    kind: args.kind, rse: args.rse, operation: args.operation, rate: args.rate, status: args.status,
    delayMs: args['delay-ms'], user: args.user, lifetimeSeconds: args['lifetime-seconds'], reason: args.reason, login: args.login,
    attempts: args.attempts,
  };
  return Object.fromEntries(Object.entries(fields).filter(([, value]) => value !== undefined));
}

async function connect(dir: string): Promise<FaultClient> {
  const state = (await readSandboxState(dir)) as FaultAdminState | null;
  if (!state) throw new CliError(`no sandbox running in ${dir} (start one with: lakeprobe sandbox up)`, EXIT.setupFailed);
  const { faultAdminUrl, faultSecretFile } = state;
  if (!faultAdminUrl || !faultSecretFile) throw new CliError(`the sandbox in ${dir} has no fault admin API`, EXIT.setupFailed);
  let secret: string;
  try {
    secret = (await readFile(faultSecretFile, 'utf8')).trim();
  } catch {
    throw new CliError(`cannot read the fault admin secret file ${faultSecretFile}`, EXIT.setupFailed);
  }
  return faultClient(faultAdminUrl, secret);
}

async function act(client: FaultClient, args: FaultArgs): Promise<void> {
  switch (args.action) {
    case 'list': {
      const faults = await client.list();
      if (faults.length === 0) out('no faults active');
      for (const { id, spec } of faults) out(`${id}  ${describeFault(spec)}`);
      return;
    }
    case 'add': {
      if (!args.kind) throw new CliError(`name the fault kind: ${FAULT_KINDS.join(', ')}`, EXIT.invalidInput);
      const spec = parseFaultSpec(specFrom(args));
      out(`added ${await client.add(spec)}  ${describeFault(spec)}`);
      return;
    }
    case 'remove': {
      if (!args.id) throw new CliError('name the fault to remove with --id (see: lakeprobe sandbox fault list)', EXIT.invalidInput);
      await client.remove(args.id);
      out(`removed ${args.id}`);
      return;
    }
    case 'clear': {
      const removed = await client.clear();
      out(`removed ${removed} fault${removed === 1 ? '' : 's'}`);
    }
  }
}

/** `fault <action> [kind]`, mounted under `lakeprobe sandbox`. */
export const sandboxFaultCommand: CommandModule<object, FaultArgs> = {
  command: 'fault <action> [kind]',
  describe: 'inject faults into the running sandbox lake: list, add <kind>, remove --id, clear',
  builder: (y) => y
    .positional('action', { choices: ACTIONS, demandOption: true })
    .positional('kind', { choices: FAULT_KINDS, describe: 'the fault to add' })
    .option('rse', { type: 'string', describe: 'RSE the fault hits' })
    .option('operation', { choices: STORAGE_OPERATIONS, describe: 'error_rate: the storage method that fails (default *)' })
    .option('rate', { type: 'number', describe: 'error_rate, catalogue_error, catalogue_timeout: share of requests hit, 0..1' })
    .option('status', { type: 'number', describe: 'HTTP status to answer (error_rate, auth_fail, catalogue_error)' })
    .option('delay-ms', { type: 'number', describe: 'auth_slow, catalogue_timeout: delay before answering' })
    .option('login', { choices: Object.keys(LOGIN_PATHS), describe: 'auth_slow: only this auth method\'s login is slow (default: every /auth/ call)' })
    .option('user', { choices: FAULT_USERS, describe: 'gridmap_missing: whose DN the storage forgets' })
    .option('lifetime-seconds', { type: 'number', describe: 'short_credentials: lifetime of the member proxy and token' })
    .option('reason', { choices: TRANSFER_FAILURE_REASONS, describe: 'transfer_failure: why transfers to the RSE fail' })
    .option('attempts', { type: 'number', describe: 'transfer_failure: only the first N attempts of each transfer fail, the retry succeeds' })
    .option('id', { type: 'string', describe: 'remove: the fault id (see list)' })
    .options(sandboxDirOptions) as unknown as Argv<FaultArgs>,
  handler: async (args) => {
    const client = await connect(sandboxDirOf(args));
    try {
      await act(client, args);
    } catch (err) {
      if (err instanceof FaultSpecError) throw new CliError(asOptions(err.problems), EXIT.invalidInput);
      if (err instanceof FaultAdminError) {
        const message = err.problems.length > 0 ? asOptions(err.problems) : err.message;
        throw new CliError(message, err.status === 400 || err.status === 404 ? EXIT.invalidInput : EXIT.setupFailed);
      }
      throw err;
    }
  },
};
