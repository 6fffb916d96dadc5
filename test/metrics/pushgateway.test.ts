import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MetricsSink } from '../../src/metrics/registry.js';
import { pushOrWarn, pushRunMetrics, redactUrl } from '../../src/metrics/push.js';
import { opResult } from '../helpers/op-result.js';
import { freePort, startPushgateway, type Running } from './prom-tools.js';

interface Group { labels: Record<string, string> }

async function groups(url: string): Promise<Record<string, string>[]> {
  const body = (await (await fetch(`${url}/api/v1/metrics`)).json()) as { data: Group[] };
  return body.data.map((g) => g.labels).sort((a, b) => `${a.experiment}/${a.test}`.localeCompare(`${b.experiment}/${b.test}`));
}

function sinkWith(tests: string[], runId: string): MetricsSink {
  const sink = new MetricsSink();
  for (const test of tests) sink.onResult(opResult({ test, runId }));
  sink.setCredentialExpiry('x509', new Date('2030-01-01T00:00:00Z'));
  return sink;
}

describe('pushing one-shot runs to a real Pushgateway', () => {
  let gw: Running;
  beforeAll(async () => { gw = await startPushgateway(); });
  afterAll(async () => { await gw?.stop(); });

  it('keeps one group per test keyed by job, plan, experiment, test and agent — never the run id', async () => {
    const target = { url: gw.url, plan: 'p1', agent: 'site-a' };
    const tests = [{ experiment: 'ska', test: 'up' }, { experiment: 'ska', test: 'down' }];
    await pushRunMetrics(sinkWith(['up', 'down'], 'run-1'), target, tests);
    await pushRunMetrics(sinkWith(['up', 'down'], 'run-2'), target, tests);
    const found = await groups(gw.url);
    expect(found.map((g) => `${g.job} ${g.plan} ${g.experiment}/${g.test} ${g.agent}`)).toEqual([
      'lakeprobe p1 _plan/_plan site-a', 'lakeprobe p1 ska/down site-a', 'lakeprobe p1 ska/up site-a',
    ]);
    for (const g of found) expect(Object.keys(g).sort()).toEqual(['agent', 'experiment', 'job', 'plan', 'test']);
    const text = await (await fetch(`${gw.url}/metrics`)).text();
    expect(text).not.toContain('run-1');
    // PUT replaced the group: the second push did not add to the first.
    const ops = text.split('\n').filter((l) => l.startsWith('lakeprobe_operations_total{') && l.includes('test="up"'));
    expect(ops).toHaveLength(1);
    expect(ops[0]).toMatch(/ 1$/);
    expect(text).toMatch(/lakeprobe_credential_expiry_timestamp_seconds\{[^}]*experiment="_plan"[^}]*\} 1\.893456e\+09/);
  });

  it('deletes the groups of this plan and agent whose test left the plan, and no others', async () => {
    await pushRunMetrics(sinkWith(['gone', 'kept'], 'r'), { url: gw.url, plan: 'p2', agent: 'a' },
      [{ experiment: 'e', test: 'gone' }, { experiment: 'e', test: 'kept' }]);
    await pushRunMetrics(sinkWith(['gone'], 'r'), { url: gw.url, plan: 'p2', agent: 'other' }, [{ experiment: 'e', test: 'gone' }]);
    const outcome = await pushRunMetrics(sinkWith(['kept'], 'r2'), { url: gw.url, plan: 'p2', agent: 'a' }, [{ experiment: 'e', test: 'kept' }]);
    expect(outcome.deleted).toEqual(['e/gone']);
    // The gateway answers a DELETE with 202 and applies it from its queue: read until it has (at most 10 s).
    const left = async (): Promise<string[]> => (await groups(gw.url)).filter((g) => g.plan === 'p2').map((g) => `${g.agent}:${g.test}`).sort();
    const expected = ['a:_plan', 'a:kept', 'other:_plan', 'other:gone'];
    for (let i = 0; i < 100 && JSON.stringify(await left()) !== JSON.stringify(expected); i++) await new Promise((r) => setTimeout(r, 100));
    expect(await left()).toEqual(expected);
  });

  it('sends userinfo as basic auth and never prints it when the push fails', async () => {
    const closed = await freePort();
    const lines: string[] = [];
    const ok = await pushOrWarn(sinkWith(['up'], 'r'), { url: `http://pushuser:s3cr%40t@127.0.0.1:${closed}`, plan: 'p', agent: 'a' },
      [{ experiment: 'ska', test: 'up' }], (l) => lines.push(l));
    expect(ok).toBe(false);
    expect(lines).toHaveLength(1);
    expect(lines[0]).toContain(`warning: push to http://***@127.0.0.1:${closed}/ failed`);
    for (const secret of ['pushuser', 's3cr', 's3cr%40t', 's3cr@t']) expect(lines[0]).not.toContain(secret);
    // A reachable gateway accepts the push with the credentials moved to a header.
    expect(await pushOrWarn(sinkWith(['up'], 'r'), { url: gw.url.replace('//', '//pushuser:pushsecret@'), plan: 'p3', agent: 'a' },
      [{ experiment: 'ska', test: 'up' }], (l) => lines.push(l))).toBe(true);
    const stored = await (await fetch(`${gw.url}/metrics`)).text();
    expect(stored).toContain('plan="p3"');
    for (const text of [stored, ...lines]) for (const secret of ['pushsecret', 'pushuser']) expect(text).not.toContain(secret);
    expect(redactUrl('http://u:p@host:9091/x')).toBe('http://***@host:9091/x');
  });
});
