import { describe, expect, it } from 'vitest';
import { matchSandboxConfig, sha256Hex, type WantedSandboxConfig } from '../../src/sandbox/config-match.js';
import { parseSandboxConfig, sandboxConfigSchema } from '../../src/sandbox/sandbox-config.js';
import type { SandboxConfigRecord, SandboxState } from '../../src/sandbox/state.js';

const CFG = '/plans/lake.yaml';
const TEXT = 'rses:\n  - { name: AARNET-DISK }\n  - { name: IDIA-DISK }\n';

function state(config: SandboxConfigRecord | undefined, rses = ['AARNET-DISK', 'IDIA-DISK'], storage: 'builtin' | 'xrootd' = 'builtin'): SandboxState {
  return {
    pid: 4242, startedAt: '2026-12-01T20:00:00Z', rucioUrl: 'https://localhost:1', issuer: 'https://localhost:2',
    caCertPath: '/ca.pem', storage, rses: rses.map((name) => ({ name, url: 'https://localhost:3' })),
    faultAdminUrl: 'https://localhost:4', faultSecretFile: '/secret', env: {}, ...(config ? { config } : {}),
  };
}

const wanted = (text: string, path = CFG, storageOverride?: 'builtin' | 'xrootd'): WantedSandboxConfig => ({
  path, text, config: parseSandboxConfig(text, path, storageOverride ? { storage: storageOverride } : {}),
  ...(storageOverride ? { storageOverride } : {}),
});
const noConfig: WantedSandboxConfig = { config: sandboxConfigSchema.parse({}) };
const started = (text: string, path: string | null = CFG): SandboxConfigRecord => ({ path, sha256: sha256Hex(text) });

describe('does a running sandbox fit the config a command names', () => {
  it('fits when the file has the content the sandbox started with, wherever it is now', () => {
    expect(matchSandboxConfig(state(started(TEXT)), wanted(TEXT))).toEqual({ verdict: 'same' });
    expect(matchSandboxConfig(state(started(TEXT)), wanted(TEXT, '/elsewhere/copy.yaml'))).toEqual({ verdict: 'same' });
  });

  it('does not fit a sandbox started with another config, and names the RSEs it lacks', () => {
    const other = 'rses:\n  - { name: CERN-DISK }\n';
    const match = matchSandboxConfig(state(started(other, '/plans/other.yaml'), ['CERN-DISK']), wanted(TEXT));
    expect(match).toEqual({
      verdict: 'different',
      message: 'it was started with config /plans/other.yaml, not /plans/lake.yaml; RSEs it lacks: AARNET-DISK, IDIA-DISK',
    });
  });

  it('does not fit when the file was edited after the sandbox started from it', () => {
    const before = 'rses:\n  - { name: AARNET-DISK }\n';
    const match = matchSandboxConfig(state(started(before), ['AARNET-DISK']), wanted(TEXT));
    expect(match.verdict).toBe('different');
    expect(match).toHaveProperty('message', 'it was started with config /plans/lake.yaml, not /plans/lake.yaml (the file changed since the sandbox started); RSEs it lacks: IDIA-DISK');
  });

  it('does not fit a sandbox running the default configuration when a config is named', () => {
    const match = matchSandboxConfig(state({ path: null, sha256: null }, ['SANDBOX-FAST', 'SANDBOX-SAFE', 'SANDBOX-NONDET']), wanted(TEXT));
    expect(match.verdict).toBe('different');
    expect(match).toHaveProperty('message', expect.stringContaining('it was started with the default configuration, not /plans/lake.yaml'));
  });

  it('reuses any sandbox when no config is named, with a note when it runs a config file', () => {
    expect(matchSandboxConfig(state({ path: null, sha256: null }), noConfig)).toEqual({ verdict: 'same' });
    expect(matchSandboxConfig(state(undefined), noConfig)).toEqual({ verdict: 'same' });
    expect(matchSandboxConfig(state(started(TEXT)), noConfig)).toEqual({ verdict: 'note', message: 'it runs config /plans/lake.yaml' });
  });

  it('tells the storage apart: a --storage asked for must be the one running; a plan only gets a note', () => {
    const xrootd = state({ ...started(TEXT), storageOverride: 'xrootd' }, undefined, 'xrootd');
    expect(matchSandboxConfig(xrootd, wanted(TEXT)).verdict).toBe('note');
    expect(matchSandboxConfig(xrootd, wanted(TEXT, CFG, 'builtin'))).toEqual({
      verdict: 'different', message: 'it serves /plans/lake.yaml\'s RSEs with xrootd storage, not builtin',
    });
    expect(matchSandboxConfig(state(started(TEXT)), { ...noConfig, config: sandboxConfigSchema.parse({ storage: 'xrootd' }), storageOverride: 'xrootd' }))
      .toEqual({ verdict: 'different', message: 'it serves its RSEs with builtin storage, not xrootd' });
  });

  it('compares what it can with a sandbox whose state has no config record', () => {
    expect(matchSandboxConfig(state(undefined), wanted(TEXT)).verdict).toBe('note');
    const match = matchSandboxConfig(state(undefined, ['SANDBOX-FAST']), wanted(TEXT));
    expect(match.verdict).toBe('different');
    expect(match).toHaveProperty('message', expect.stringContaining('RSEs it lacks: AARNET-DISK, IDIA-DISK'));
  });
});
