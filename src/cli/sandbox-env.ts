import { readFile } from 'node:fs/promises';
import { readSandboxState, isSandboxAlive, type SandboxConfigRecord, type SandboxState } from '../sandbox/state.js';
import { startSandboxLake, type SandboxLake } from '../sandbox/lake.js';
import { matchSandboxConfig, sha256Hex, type WantedSandboxConfig } from '../sandbox/config-match.js';
import { parseSandboxConfig, sandboxConfigSchema, SandboxConfigError, type SandboxConfig } from '../sandbox/sandbox-config.js';
import { CliError, EXIT } from './exit-codes.js';
import { abs, DEFAULTS } from './common.js';

export interface SandboxForRun {
  env: Record<string, string>;
  /** Stops the sandbox when this run started it; a no-op for one started by `sandbox up`. */
  release(): Promise<void>;
  description: string;
}

/**
 * Reads and checks a sandbox config file (none: the defaults); a bad one is an input
 * error naming file, line and field. The text is kept: its hash says later whether a
 * running sandbox was started with this very content.
 */
export async function wantedSandboxConfig(file?: string, storage?: SandboxConfig['storage']): Promise<WantedSandboxConfig> {
  const overrides = storage ? { storage } : {};
  const withStorage = storage ? { storageOverride: storage } : {};
  if (!file) return { config: sandboxConfigSchema.parse(overrides), ...withStorage };
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (e) {
    throw new CliError(`cannot read sandbox config ${file}: ${(e as Error).message}`, EXIT.invalidInput);
  }
  try {
    return { path: file, text, config: parseSandboxConfig(text, file, overrides), ...withStorage };
  } catch (e) {
    if (e instanceof SandboxConfigError) throw new CliError(e.message, EXIT.invalidInput);
    throw e;
  }
}

/** Loads a sandbox config file; a bad one is an input error naming file, line and field. */
export async function sandboxConfigOrThrow(file?: string, storage?: SandboxConfig['storage']): Promise<SandboxConfig> {
  return (await wantedSandboxConfig(file, storage)).config;
}

/** What a lake started from `wanted` records in its state. */
export function configRecord(wanted: WantedSandboxConfig): SandboxConfigRecord {
  return {
    path: wanted.path ?? null,
    sha256: wanted.text === undefined ? null : sha256Hex(wanted.text),
    ...(wanted.storageOverride ? { storageOverride: wanted.storageOverride } : {}),
  };
}

/** The remedy for a sandbox that does not fit: stop it, then run the same command again. */
export function stopItFirst(dir: string, then: string): string {
  return `stop it first: lakeprobe sandbox down --sandbox-dir ${dir}\nthen ${then}`;
}

/**
 * Refuses a running sandbox started with another config (its RSEs would be "not
 * found"); returns a note to print when reuse is harmless but worth knowing.
 */
export function checkRunningSandbox(state: SandboxState, dir: string, wanted: WantedSandboxConfig, then: string): string | undefined {
  const match = matchSandboxConfig(state, wanted);
  if (match.verdict === 'different') {
    throw new CliError(`the sandbox running in ${dir} (pid ${state.pid}) does not fit: ${match.message}\n${stopItFirst(dir, then)}`, EXIT.setupFailed);
  }
  return match.verdict === 'note' ? `note: reusing the sandbox running in ${dir} (pid ${state.pid}): ${match.message}` : undefined;
}

/**
 * A plan with `lake.sandbox: true` runs against the sandbox started by
 * `lakeprobe sandbox up` if one is running and fits the plan's `sandbox_config`,
 * else against one started for this run.
 */
export async function sandboxForRun(
  dir = DEFAULTS.sandboxDir, log: (l: string) => void = () => {}, configFile?: string,
): Promise<SandboxForRun> {
  const folder = abs(dir);
  const wanted = await wantedSandboxConfig(configFile);
  const state = await readSandboxState(folder);
  if (state && (await isSandboxAlive(state))) {
    const note = checkRunningSandbox(state, folder, wanted, 'run again: the run starts a sandbox with the plan\'s sandbox_config');
    if (note) log(note);
    return { env: state.env, release: async () => {}, description: `running sandbox (pid ${state.pid})` };
  }
  log('starting the sandbox lake for this run…');
  const lake: SandboxLake = await startSandboxLake({ dir: folder, config: wanted.config }).catch((e: Error) => {
    throw new CliError(`the sandbox lake did not start: ${e.message}`, EXIT.setupFailed);
  });
  return { env: lake.env, release: () => lake.stop(), description: 'sandbox started for this run' };
}
