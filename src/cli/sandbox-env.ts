import { readSandboxState, isSandboxAlive } from '../sandbox/state.js';
import { startSandboxLake, type SandboxLake } from '../sandbox/lake.js';
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
export async function sandboxForRun(dir = DEFAULTS.sandboxDir, log: (l: string) => void = () => {}): Promise<SandboxForRun> {
  const state = await readSandboxState(abs(dir));
  if (state && (await isSandboxAlive(state))) {
    return { env: state.env, release: async () => {}, description: `running sandbox (pid ${state.pid})` };
  }
  log('starting the sandbox lake for this run…');
  const lake: SandboxLake = await startSandboxLake({ dir: abs(dir) });
  return { env: lake.env, release: () => lake.stop(), description: 'sandbox started for this run' };
}
