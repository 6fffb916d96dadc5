// credentials.x509.renew_command: a command (argv) that renews the proxy, its margin and
// timeout; it applies only to a proxy, and the proxy may not exist yet (the command makes it).
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { formatDiagnostic, loadPlanText } from '../../src/plan/index.js';
import { planContext } from './context.js';

const dir = mkdtempSync(join(tmpdir(), 'lakeprobe-renew-plan-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const plan = (x509: string): string => `name: p
lake:
  rucio_host: https://rucio.example.org
  account: probe
credentials:
  x509:
${x509}
experiments:
  - name: E
    tests:
      - name: t
        scenario: replicate
`;

describe('credentials.x509.renew_command', () => {
  it('resolves the command, the margin and the timeout, for a proxy that does not exist yet', async () => {
    const result = await loadPlanText(plan(`    proxy: x509up
    renew_command: [voms-proxy-init, --rfc, --valid, "12:00"]
    renew_margin_seconds: 1800`), join(dir, 'p.yaml'), planContext());
    expect(result.diagnostics.map(formatDiagnostic)).toEqual([]);
    expect(result.ok && result.plan.credentials.x509).toEqual({
      proxy: join(dir, 'x509up'),
      renew: { command: ['voms-proxy-init', '--rfc', '--valid', '12:00'], marginSeconds: 1800, timeoutSeconds: 120 },
    });
  });

  it('refuses it for a certificate and key, and a margin without a command, at their lines', async () => {
    const cert = await loadPlanText(plan(`    cert: c.pem
    key: k.pem
    renew_command: [myproxy-logon]`), join(dir, 'p.yaml'), planContext());
    expect(cert.diagnostics.map(formatDiagnostic).join('\n')).toMatch(/p\.yaml:9:\d+.*credentials\.x509\.renew_command.*applies only to a proxy/);
    const margin = await loadPlanText(plan(`    proxy: x509up
    renew_timeout_seconds: 5000`), join(dir, 'p.yaml'), planContext());
    expect(margin.diagnostics.map(formatDiagnostic).join('\n')).toMatch(/credentials\.x509\.renew_timeout_seconds.*(applies only with renew_command|at most 3600)/);
  });
});
