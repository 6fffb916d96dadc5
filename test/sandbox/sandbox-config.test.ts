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

  it('refuses an RSE named twice at the second one, and an alias bomb or deep nesting as config errors (not a crash)', () => {
    const refusal = (text: string): string => {
      try {
        parseSandboxConfig(text, 'sbx.yaml');
      } catch (e) {
        expect(e).toBeInstanceOf(SandboxConfigError);
        return (e as Error).message;
      }
      return 'accepted';
    };
    expect(refusal('rses:\n  - name: SITE-A\n  - name: SITE-B\n  - name: SITE-A\n'))
      .toBe('sbx.yaml:4:11: rses[2].name: duplicate RSE "SITE-A" (first at rses[0])');
    const bomb = ['a: &a [x,x,x,x,x,x,x,x,x]', ...['b', 'c', 'd', 'e'].map((n, i) => `${n}: &${n} [${Array(9).fill(`*${'abcd'[i]}`).join(',')}]`)];
    expect(refusal(`${bomb.join('\n')}\nrses: [{ name: SITE-A }]\n`)).toMatch(/^sbx\.yaml:1:1: cannot be read: /);
    expect(refusal(`rses: ${'{a: '.repeat(2000)}1${'}'.repeat(2000)}\n`)).toMatch(/^sbx\.yaml:1:\d+: nested too deeply$/m);
  });

  it('refuses a fault the lake would refuse at start, at its line', () => {
    let message = '';
    try {
      parseSandboxConfig('rses: [{ name: SITE-A }]\nfaults:\n  - { kind: checksum_missing, rse: SITE-A }\n  - { kind: checksum_missing, rse: SITE-B }\n  - { kind: no_such }\n', 'sbx.yaml');
    } catch (e) {
      message = (e as Error).message;
    }
    expect(message.split('\n')).toEqual([
      'sbx.yaml:4:5: faults[1]: rse: unknown RSE "SITE-B" (known: SITE-A)',
      expect.stringMatching(/^sbx\.yaml:5:5: faults\[2\]: kind: must be one of /),
    ]);
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

  it('takes a cache RSE in front of a storage RSE on XRootD, availability flags and a null attribute, and refuses a bad cache at its line', () => {
    const ok = parseSandboxConfig([
      'storage: xrootd',
      'rses:',
      '  - { name: SITE-A, attributes: { QOS: null }, availability: { write: false } }',
      '  - { name: SITE-CACHE, cache_of: SITE-A }',
    ].join('\n'), 'sbx.yaml');
    expect(ok.rses[0]).toMatchObject({ attributes: { QOS: null }, availability: { write: false } });
    expect(ok.rses[1]?.cache_of).toBe('SITE-A');
    const bad = [
      'rses:',
      '  - { name: SITE-A }',
      '  - { name: SITE-C1, cache_of: SITE-B }',
      '  - { name: SITE-C2, cache_of: SITE-C3 }',
      '  - { name: SITE-C3, cache_of: SITE-A }',
    ].join('\n');
    let message = '';
    try {
      parseSandboxConfig(bad, 'sbx.yaml');
    } catch (e) {
      message = (e as Error).message;
    }
    expect(message).toMatch(/^sbx\.yaml:3:\d+: rses\[1\]\.cache_of: a cache RSE is an XRootD proxy file cache: set storage: xrootd$/m);
    expect(message).toMatch(/^sbx\.yaml:3:\d+: rses\[1\]\.cache_of: unknown RSE "SITE-B"$/m);
    expect(message).toMatch(/^sbx\.yaml:4:\d+: rses\[2\]\.cache_of: "SITE-C3" is a cache itself/m);
  });
});
