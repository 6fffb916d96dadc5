// The sandbox config's catalogue.abacus_seconds: how long account usage lags behind the locks
// (abacus-account's sleep_time in a real Rucio; account-limits.test.ts shows the lag itself).
import { describe, expect, it } from 'vitest';
import { DEFAULT_SANDBOX_CONFIG, parseSandboxConfig, SandboxConfigError } from '../../../src/sandbox/sandbox-config.js';

describe('the abacus interval in the sandbox config', () => {
  it("defaults to Rucio's 10 s and takes 0 for usage counted at once", () => {
    expect(DEFAULT_SANDBOX_CONFIG.catalogue.abacus_seconds).toBe(10);
    expect(parseSandboxConfig('catalogue: { abacus_seconds: 0 }\n', 'sbx.yaml').catalogue.abacus_seconds).toBe(0);
  });

  it('refuses an interval over an hour, naming file, line and field', () => {
    expect(() => parseSandboxConfig('catalogue:\n  abacus_seconds: 86400\n', 'sbx.yaml')).toThrow(SandboxConfigError);
    expect(() => parseSandboxConfig('catalogue:\n  abacus_seconds: 86400\n', 'sbx.yaml')).toThrow(/^sbx\.yaml:2:19: catalogue\.abacus_seconds: /);
  });
});
