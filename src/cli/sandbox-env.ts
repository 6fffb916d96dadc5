import { readSandboxState, isSandboxAlive } from '../sandbox/state.js';
import { startSandboxLake, type SandboxLake } from '../sandbox/lake.js';
import { loadSandboxConfig, SandboxConfigError, type SandboxConfig } from '../sandbox/sandbox-config.js';
import { CliError, EXIT } from './exit-codes.js';
import { abs, DEFAULTS } from './common.js';

export interface SandboxForRun {
  env: Record<string, string>;
  /** Stops the sandbox when this run started it; a no-op for one started by `sandbox up`. */
  release(): Promise<void>;
  description: string;
}

/**
 * A plan with `lake.sandbox: true` runs against the sandbox started by
 * `lakeprobe sandbox up` if one is running, else against one started for this run.
 */
/** Loads a sandbox config file; a bad one is an input error naming file, line and field. */
export async function sandboxConfigOrThrow(file?: string, storage?: SandboxConfig['storage']): Promise<SandboxConfig> {
  try {
    return await loadSandboxConfig(file, storage ? { storage } : {});
  } catch (e) {
    if (e instanceof SandboxConfigError) throw new CliError(e.message, EXIT.invalidInput);
    throw new CliError(`cannot read sandbox config ${file}: ${(e as Error).message}`, EXIT.invalidInput);
  }
}

export async function sandboxForRun(
  dir = DEFAULTS.sandboxDir, log: (l: string) => void = () => {}, configFile?: string,
): Promise<SandboxForRun> {
  const state = await readSandboxState(abs(dir));
  if (state && (await isSandboxAlive(state))) {
    return { env: state.env, release: async () => {}, description: `running sandbox (pid ${state.pid})` };
  }
  log('starting the sandbox lake for this run…');
  const config = await sandboxConfigOrThrow(configFile);
  const lake: SandboxLake = await startSandboxLake({ dir: abs(dir), config }).catch((e: Error) => {
    throw new CliError(`the sandbox lake did not start: ${e.message}`, EXIT.setupFailed);
  });
  return { env: lake.env, release: () => lake.stop(), description: 'sandbox started for this run' };
}
