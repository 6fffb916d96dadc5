// Does a running sandbox fit what a command asks for? A lake started with another
// config file has other RSEs, links and faults: reusing it silently makes a plan's RSEs
// "not found". The lake records the config it read (path + content hash, state.ts).
import { createHash } from 'node:crypto';
import type { SandboxConfig } from './sandbox-config.js';
import type { SandboxConfigRecord, SandboxState } from './state.js';

export function sha256Hex(text: string): string {
  return createHash('sha256').update(text).digest('hex');
}

/** What a command wants: a config file (its path, content and parsed form) or none. */
export interface WantedSandboxConfig {
  path?: string;
  text?: string;
  config: SandboxConfig;
  /** `--storage` on the command line. */
  storageOverride?: SandboxConfig['storage'];
}

export type ConfigMatch =
  | { verdict: 'same' }
  /** Reuse is harmless but worth a line, e.g. the lake runs a config the command did not name. */
  | { verdict: 'note'; message: string }
  | { verdict: 'different'; message: string };

export function describeRecord(record: SandboxConfigRecord | undefined): string {
  if (!record) return 'a configuration this version cannot tell (no record in its state.json)';
  const file = record.path === null ? 'the default configuration' : `config ${record.path}`;
  return record.storageOverride ? `${file} with --storage ${record.storageOverride}` : file;
}

function missingRses(state: SandboxState, config: SandboxConfig): string {
  const running = new Set(state.rses.map((r) => r.name));
  const missing = config.rses.map((r) => r.name).filter((n) => !running.has(n));
  return missing.length > 0 ? `; RSEs it lacks: ${missing.join(', ')}` : '';
}

/**
 * Compares the running lake with what is wanted. With no config named, any running lake
 * is fine (a note says which config it runs). With one named, the content must be the
 * same (a moved or renamed copy is fine, an edited file is not) and so must the storage.
 */
export function matchSandboxConfig(state: SandboxState, wanted: WantedSandboxConfig): ConfigMatch {
  const recorded = state.config;
  const storageDiffers = state.storage !== wanted.config.storage;
  if (wanted.path === undefined) {
    if (wanted.storageOverride && storageDiffers) {
      return { verdict: 'different', message: `it serves its RSEs with ${state.storage} storage, not ${wanted.storageOverride}` };
    }
    if (recorded?.path) return { verdict: 'note', message: `it runs ${describeRecord(recorded)}` };
    return { verdict: 'same' };
  }
  const wantedHash = sha256Hex(wanted.text ?? '');
  if (!recorded) {
    // Started by an older lakeprobe: only what state.json shows can be compared.
    const lacks = missingRses(state, wanted.config);
    if (lacks || storageDiffers) {
      return { verdict: 'different', message: `it was started with ${describeRecord(recorded)}${lacks}${storageDiffers ? `; storage ${state.storage}, not ${wanted.config.storage}` : ''}` };
    }
    return { verdict: 'note', message: `it was started with ${describeRecord(recorded)}; its storage and RSEs match ${wanted.path}, its other settings cannot be checked` };
  }
  if (recorded.sha256 !== wantedHash) {
    const edited = recorded.path === wanted.path ? ' (the file changed since the sandbox started)' : '';
    return { verdict: 'different', message: `it was started with ${describeRecord(recorded)}, not ${wanted.path}${edited}${missingRses(state, wanted.config)}` };
  }
  if (storageDiffers) {
    const how = `it serves ${wanted.path}'s RSEs with ${state.storage} storage, not ${wanted.config.storage}`;
    // The same RSEs on the other kind of storage: a run works, but measures the other kind.
    return wanted.storageOverride ? { verdict: 'different', message: how } : { verdict: 'note', message: `${how} (--storage ${state.storage} when it started)` };
  }
  return { verdict: 'same' };
}
