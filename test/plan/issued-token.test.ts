// credentials.token naming an issuer and a client: secrets from a file or the environment
// only (an inline secret is refused at its line), the grant's own file required.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { formatDiagnostic, loadPlanText } from '../../src/plan/index.js';
import { planContext } from './context.js';

const dir = mkdtempSync(join(tmpdir(), 'lakeprobe-issued-plan-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const plan = (token: string): string => `name: p
lake:
  rucio_host: https://rucio.example.org
  account: probe
credentials:
  token:
${token}
experiments:
  - name: E
    tests:
      - name: t
        scenario: replicate
`;

describe('credentials.token with an issuer', () => {
  it('resolves a client_credentials client whose secret comes from a file', async () => {
    writeFileSync(join(dir, 'secret'), 'the-secret\n', { mode: 0o600 });
    const result = await loadPlanText(plan(`    issuer: https://iam.example.org/
    client_id: probe
    client_secret_file: secret
    audience: https://rucio.example.org
    scope: storage.read:/
    renew_margin_seconds: 120`), join(dir, 'p.yaml'), planContext());
    expect(result.diagnostics.map(formatDiagnostic)).toEqual([]);
    expect(result.ok && result.plan.credentials.token).toEqual({
      issued: {
        issuer: 'https://iam.example.org', clientId: 'probe', clientSecret: 'the-secret', grant: 'client_credentials',
        audience: 'https://rucio.example.org', scope: 'storage.read:/', renewMarginSeconds: 120,
      },
    });
  });

  it('takes the secret from the environment and defaults the renewal margin to five minutes', async () => {
    writeFileSync(join(dir, 'rt'), 'refresh-me\n', { mode: 0o600 });
    const result = await loadPlanText(plan(`    issuer: https://iam.example.org
    client_id: probe
    client_secret_env: PROBE_SECRET
    grant: refresh_token
    refresh_token_file: rt`), join(dir, 'p.yaml'), planContext({ PROBE_SECRET: 'from-env' }));
    expect(result.ok && result.plan.credentials.token).toEqual({
      issued: {
        issuer: 'https://iam.example.org', clientId: 'probe', clientSecret: 'from-env', grant: 'refresh_token',
        refreshTokenFile: join(dir, 'rt'), renewMarginSeconds: 300,
      },
    });
  });

  it('refuses an inline client secret and an inline refresh token at their lines', async () => {
    const file = join(dir, 'p.yaml');
    const result = await loadPlanText(plan(`    issuer: https://iam.example.org
    client_id: probe
    client_secret: hunter2
    refresh_token: abc`), file, planContext());
    const lines = result.diagnostics.map(formatDiagnostic);
    expect(lines).toContain(`${file}:9:5: error: credentials.token.client_secret: inline client secrets are refused: use client_secret_file or client_secret_env`);
    expect(lines).toContain(`${file}:10:5: error: credentials.token.refresh_token: inline refresh tokens are refused: use refresh_token_file (as oidc-agent or IAM hand it out)`);
    expect(lines.join('\n')).not.toContain('hunter2');
  });

  it("requires the grant's own file and refuses issuer keys on a file token", async () => {
    const file = join(dir, 'p.yaml');
    const exchange = await loadPlanText(plan(`    issuer: https://iam.example.org
    client_id: probe
    client_secret_env: S
    grant: token_exchange`), file, planContext({ S: 'x' }));
    expect(exchange.diagnostics.map(formatDiagnostic)).toContain(
      `${file}:6:3: error: credentials.token.subject_token_file: is required for grant token_exchange`);
    const mixed = await loadPlanText(plan(`    file: bt
    client_id: probe`), file, planContext());
    expect(mixed.diagnostics.map(formatDiagnostic)).toContain(`${file}:8:5: error: credentials.token.client_id: applies only with issuer`);
  });
});
