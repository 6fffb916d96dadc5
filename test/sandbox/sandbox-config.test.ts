import { describe, expect, it } from 'vitest';
import { DEFAULT_SANDBOX_CONFIG, parseSandboxConfig, SandboxConfigError } from '../../src/sandbox/sandbox-config.js';

describe('sandbox config', () => {
  it('defaults to three builtin RSEs, no links, no faults', () => {
    expect(DEFAULT_SANDBOX_CONFIG.storage).toBe('builtin');
    expect(DEFAULT_SANDBOX_CONFIG.rses.map((r) => r.name)).toEqual(['SANDBOX-FAST', 'SANDBOX-SAFE', 'SANDBOX-NONDET']);
    expect(DEFAULT_SANDBOX_CONFIG.rses.map((r) => r.deterministic)).toEqual([true, true, false]);
    expect(DEFAULT_SANDBOX_CONFIG.links).toEqual([]);
  });

  it('reads storage, RSEs and links; a --storage override wins over the file', () => {
    const cfg = parseSandboxConfig(`
storage: builtin
rses:
  - { name: AARNET-DISK, attributes: { QOS: SAFE } }
  - { name: IDIA-DISK }
links:
  - { from: AARNET-DISK, to: IDIA-DISK, rtt_ms: 300, bandwidth_mbit: 100 }
`, 'sbx.yaml', { storage: 'xrootd' });
    expect(cfg.storage).toBe('xrootd');
    expect(cfg.rses[0]).toEqual({ name: 'AARNET-DISK', deterministic: true, attributes: { QOS: 'SAFE' } });
    expect(cfg.links).toEqual([{ from: 'AARNET-DISK', to: 'IDIA-DISK', rtt_ms: 300, bandwidth_mbit: 100 }]);
  });

  it('names file, line and field of every problem', () => {
    const text = 'storage: ceph\nrses:\n  - { name: bad name }\nlinks:\n  - { from: NOPE, to: NOPE, rtt_ms: -1 }\n';
    let message = '';
    try {
      parseSandboxConfig(text, 'sbx.yaml');
    } catch (e) {
      expect(e).toBeInstanceOf(SandboxConfigError);
      message = (e as Error).message;
    }
    const lines = message.split('\n');
    expect(lines.find((l) => l.startsWith('sbx.yaml:1:10: storage:'))).toBeDefined();
    expect(lines.find((l) => l.startsWith('sbx.yaml:3:13: rses[0].name: must be an RSE name'))).toBeDefined();
    expect(lines.find((l) => l.startsWith('sbx.yaml:5:37: links[0].rtt_ms:'))).toBeDefined();
  });

  it('refuses faults the storage kind cannot apply, at their file:line', () => {
    // error_rate and checksum_missing act inside lakeprobe's own storage; XRootD RSEs cannot apply them.
    const text = 'storage: xrootd\nfaults:\n  - { kind: rse_down, rse: SANDBOX-FAST }\n  - { kind: checksum_missing, rse: SANDBOX-FAST }\n';
    expect(() => parseSandboxConfig(text, 'sbx.yaml')).toThrow(SandboxConfigError);
    expect(() => parseSandboxConfig(text, 'sbx.yaml')).toThrow(/^sbx\.yaml:4:\d+: faults\[1\]\.kind: checksum_missing acts inside lakeprobe's builtin storage/);
    const builtin = 'faults:\n  - { kind: error_rate, rse: SANDBOX-FAST, rate: 0.5 }\n';
    expect(parseSandboxConfig(builtin, 'sbx.yaml').faults).toHaveLength(1);
    expect(() => parseSandboxConfig(builtin, 'sbx.yaml', { storage: 'xrootd' })).toThrow(/^sbx\.yaml:2:\d+: faults\[0\]\.kind: error_rate acts inside/);
  });
});
