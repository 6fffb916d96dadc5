import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { formatDiagnostic, loadPlanFile, loadPlanText } from '../../src/plan/index.js';
import { planContext } from './context.js';

const TESTS = 'experiments: [{ name: e, tests: [{ name: t, scenario: replicate }] }]';
const SECRET = 's3cr3t-pw';

let dir: string;
beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'lakeprobe-url-secrets-'));
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

async function messages(text: string, env: Record<string, string> = {}): Promise<string[]> {
  const result = await loadPlanText(text, join(dir, 'plan.yaml'), planContext({ BEARER_TOKEN: 'tok', ...env }));
  return result.diagnostics.filter((d) => d.severity === 'error').map(formatDiagnostic);
}

describe('user:password@ in host URLs', () => {
  it('refuses it in the plan\'s rucio_host and auth_host with file:line and field, never echoing it', async () => {
    const errors = await messages([
      'lake:',
      `  rucio_host: "https://alice:${SECRET}@rucio.example.org"`,
      `  auth_host: "https://alice@rucio-auth.example.org"`,
      '  account: root',
      TESTS,
      '',
    ].join('\n'));
    const f = join(dir, 'plan.yaml');
    expect(errors).toEqual([
      `${f}:2:3: error: lake.rucio_host: a user name or password in the URL (user:password@host) is refused: it would never be sent; use credentials.userpass with password_env or password_file`,
      `${f}:3:3: error: lake.auth_host: a user name or password in the URL (user:password@host) is refused: it would never be sent; use credentials.userpass with password_env or password_file`,
    ]);
    expect(errors.join('\n')).not.toContain(SECRET);
  });

  it('refuses it in the rucio.cfg the plan uses, at its line', async () => {
    const cfg = join(dir, 'rucio.cfg');
    writeFileSync(cfg, `[client]\naccount = root\nrucio_host = https://bob:${SECRET}@rucio.example.org\n`);
    const errors = await messages(`lake: {}\n${TESTS}\n`, { RUCIO_CONFIG: cfg });
    expect(errors).toHaveLength(1);
    expect(errors[0]).toMatch(new RegExp(`^${cfg}:3:1: error: .*rucio_host.*user:password@host\\) is refused`));
    expect(errors[0]).not.toContain(SECRET);
    // Not used (the plan names its own host): not a reason to refuse the plan.
    expect(await messages(`lake: { rucio_host: "https://rucio.example.org" }\n${TESTS}\n`, { RUCIO_CONFIG: cfg })).toEqual([]);
  });

  it('accepts plain host URLs', async () => {
    const ok = await loadPlanText(`lake: { rucio_host: "https://rucio.example.org:443/", account: root }\n${TESTS}\n`, join(dir, 'p.yaml'), planContext({ BEARER_TOKEN: 'tok' }));
    expect(ok.ok).toBe(true);
  });
});

describe('sandbox plans use the sandbox\'s token', () => {
  it('ignores the user\'s BEARER_TOKEN when the sandbox offers BEARER_TOKEN_FILE, and says so', async () => {
    const sandboxToken = join(dir, 'sandbox.jwt');
    writeFileSync(sandboxToken, 'sandbox-token\n');
    const env = { BEARER_TOKEN: 'users-own-token', BEARER_TOKEN_FILE: sandboxToken };
    const planFile = join(dir, 'sandbox-plan.yaml');
    writeFileSync(planFile, `lake: { sandbox: true }\n${TESTS}\n`);
    const result = await loadPlanFile(planFile, planContext(env));
    if (!result.ok) throw new Error(result.diagnostics.map(formatDiagnostic).join('\n'));
    expect(result.plan.credentials.token).toEqual({ file: sandboxToken });
    expect(result.diagnostics.map(formatDiagnostic)).toContain(
      `${planFile}:1:1: warning: credentials: BEARER_TOKEN is ignored for a sandbox plan: the sandbox's own token is used`,
    );

    // Outside the sandbox, WLCG discovery keeps its order: BEARER_TOKEN first.
    writeFileSync(planFile, `lake: { rucio_host: "https://rucio.example.org", account: root }\n${TESTS}\n`);
    const lake = await loadPlanFile(planFile, planContext(env));
    expect(lake.ok && lake.plan.credentials.token).toEqual({ value: 'users-own-token', source: 'BEARER_TOKEN' });
  });
});
