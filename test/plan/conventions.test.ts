import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { formatDiagnostic, loadPlanFile, loadPlanText, type PlanLoadResult, type ResolvedPlan } from '../../src/plan/index.js';
import { FIXTURES, TEST_UID, fixture, planContext } from './context.js';

const CFG = `${FIXTURES}/rucio/rucio.cfg`;
const PLAN_WITH_LAKE = [
  'lake: { rucio_host: "https://rucio.example.org", account: root }',
  'experiments: [{ name: e, tests: [{ name: t, scenario: replicate }] }]',
  '',
].join('\n');

let dir: string;
beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'lakeprobe-conventions-'));
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function plan(result: PlanLoadResult): ResolvedPlan {
  if (!result.ok) throw new Error(result.diagnostics.map(formatDiagnostic).join('\n'));
  return result.plan;
}

function file(name: string, content = 'x\n'): string {
  const path = join(dir, name);
  writeFileSync(path, content, { mode: 0o600 });
  return path;
}

describe('rucio.cfg', () => {
  it('fills every gap the plan leaves and lists each value it supplied', async () => {
    const resolved = plan(await loadPlanFile(fixture('minimal.yaml'), planContext({ RUCIO_CONFIG: CFG })));
    expect(resolved.lake).toEqual({
      rucioHost: 'https://rucio-cfg.example.org',
      authHost: 'https://rucio-cfg-auth.example.org',
      vo: 'cfgvo',
      account: 'cfgaccount',
      caPath: `${FIXTURES}/creds`,
      insecure: false,
    });
    expect(resolved.credentials).toEqual({
      userpass: { username: 'cfguser', password: 'cfgsecret' },
      x509: { proxy: `${FIXTURES}/creds/x509up` },
    });
    expect(resolved.sources).toEqual([
      `lake.rucio_host from ${CFG}`,
      `lake.auth_host from ${CFG}`,
      `lake.vo from ${CFG}`,
      `lake.account from ${CFG}`,
      `lake.ca_cert from ${CFG}`,
      `credentials.userpass from ${CFG}`,
      `credentials.x509.proxy from ${CFG}`,
    ]);
    expect(resolved.sources.join('\n')).not.toContain('cfgsecret');
  });

  it('yields to the plan, and ties auth_host to the plan\'s rucio_host', async () => {
    const resolved = plan(await loadPlanFile(fixture('overrides.yaml'), planContext({ RUCIO_CONFIG: CFG })));
    expect(resolved.lake.rucioHost).toBe('https://rucio.plan.example.org');
    expect(resolved.lake.authHost).toBe('https://rucio.plan.example.org');
    expect(resolved.lake.account).toBe('planaccount');
    expect(resolved.credentials.userpass).toEqual({ username: 'planuser', password: 'cfgsecret' });
    expect(resolved.sources).toContain(`credentials.userpass.password from ${CFG}`);
    expect(resolved.sources).not.toContain(`lake.account from ${CFG}`);
  });

  it('wins over X509_USER_PROXY and X509_CERT_DIR', async () => {
    const env = { RUCIO_CONFIG: CFG, X509_USER_PROXY: file('env-proxy'), X509_CERT_DIR: dir };
    const resolved = plan(await loadPlanFile(fixture('minimal.yaml'), planContext(env)));
    expect(resolved.credentials.x509).toEqual({ proxy: `${FIXTURES}/creds/x509up` });
    expect(resolved.lake.caPath).toBe(`${FIXTURES}/creds`);
  });

  it('is found under RUCIO_HOME when RUCIO_CONFIG is unset', async () => {
    const home = join(dir, 'rucio-home');
    mkdirSync(join(home, 'etc'), { recursive: true });
    writeFileSync(join(home, 'etc', 'rucio.cfg'), '[client]\nrucio_host = https://home.example.org\naccount = homeacct\n');
    const result = await loadPlanFile(fixture('sandbox.yaml'), planContext({ RUCIO_CONFIG: undefined, RUCIO_HOME: home }));
    expect(plan(result).lake.rucioHost).toBe('https://home.example.org');
    expect(plan(result).sources).toContain(`lake.rucio_host from ${join(home, 'etc', 'rucio.cfg')}`);
  });

  it('uses client_cert and client_key when auth_type is x509, even with a proxy configured', async () => {
    const cert = file('usercert.pem');
    const key = file('userkey.pem');
    const cfg = file('x509.cfg', `[client]\nauth_type = x509\nclient_cert = ${cert}\nclient_key = ${key}\nclient_x509_proxy = ${FIXTURES}/creds/x509up\n`);
    const resolved = plan(await loadPlanText(PLAN_WITH_LAKE, join(dir, 'p.yaml'), planContext({ RUCIO_CONFIG: cfg })));
    expect(resolved.credentials.x509).toEqual({ cert, key });
    expect(resolved.sources).toEqual([`credentials.x509 from ${cfg}`]);
  });

  it('reports an unreadable RUCIO_CONFIG on the plan, naming the file', async () => {
    const result = await loadPlanFile(fixture('sandbox.yaml'), planContext({ RUCIO_CONFIG: '/nonexistent/rucio.cfg' }));
    expect(result.diagnostics.map(formatDiagnostic)).toEqual([
      `${fixture('sandbox.yaml')}:1:1: error: lake: cannot read rucio.cfg /nonexistent/rucio.cfg (RUCIO_CONFIG): file not found`,
    ]);
  });

  it('reports its own syntax errors and dead paths at their line in rucio.cfg', async () => {
    const broken = `${FIXTURES}/rucio/broken.cfg`;
    const result = await loadPlanFile(fixture('minimal.yaml'), planContext({ RUCIO_CONFIG: broken }));
    expect(result.diagnostics.map(formatDiagnostic)).toEqual([
      `${fixture('minimal.yaml')}:1:1: error: credentials: no usable credentials found: set credentials.userpass, or username and password in rucio.cfg; ` +
        'set credentials.x509, client_x509_proxy in rucio.cfg, or X509_USER_PROXY; set credentials.token, BEARER_TOKEN or BEARER_TOKEN_FILE',
      `${broken}:3:1: error: cannot parse line "this line has no equals sign" (expected key = value)`,
      `${broken}:5:1: warning: client_x509_proxy /nonexistent/x509up: file not found; not using it`,
    ]);
  });
});

describe('X509 environment conventions', () => {
  const defaultProxy = `/tmp/x509up_u${TEST_UID}`;
  afterEach(() => rmSync(defaultProxy, { force: true }));

  it('takes the proxy from X509_USER_PROXY', async () => {
    const proxy = file('x509up-env');
    const resolved = plan(await loadPlanText(PLAN_WITH_LAKE, join(dir, 'p.yaml'), planContext({ X509_USER_PROXY: proxy })));
    expect(resolved.credentials.x509).toEqual({ proxy });
    expect(resolved.sources).toEqual(['credentials.x509.proxy from X509_USER_PROXY']);
  });

  it('falls back to /tmp/x509up_u<uid> when X509_USER_PROXY is unset', async () => {
    writeFileSync(defaultProxy, 'x', { mode: 0o600 });
    const resolved = plan(await loadPlanText(PLAN_WITH_LAKE, join(dir, 'p.yaml'), planContext()));
    expect(resolved.credentials.x509).toEqual({ proxy: defaultProxy });
    expect(resolved.sources).toEqual([`credentials.x509.proxy from default path ${defaultProxy}`]);
  });

  it('does not fall back to the default path when X509_USER_PROXY names a missing file', async () => {
    writeFileSync(defaultProxy, 'x', { mode: 0o600 });
    const env = { X509_USER_PROXY: join(dir, 'gone'), BEARER_TOKEN: 'opaque' };
    const result = await loadPlanText(PLAN_WITH_LAKE, join(dir, 'p.yaml'), planContext(env));
    expect(plan(result).credentials.x509).toBeUndefined();
    expect(result.diagnostics.map(formatDiagnostic)).toEqual([
      `${join(dir, 'p.yaml')}:1:1: warning: credentials: X509_USER_PROXY ${join(dir, 'gone')}: file not found; not using it`,
    ]);
  });

  it('takes the CA directory from X509_CERT_DIR', async () => {
    const resolved = plan(await loadPlanText(PLAN_WITH_LAKE, join(dir, 'p.yaml'), planContext({ X509_CERT_DIR: dir, BEARER_TOKEN: 't' })));
    expect(resolved.lake.caPath).toBe(dir);
    expect(resolved.sources).toContain('lake.ca_cert from X509_CERT_DIR');
  });
});

describe('WLCG bearer token discovery', () => {
  const tmpToken = `/tmp/bt_u${TEST_UID}`;
  afterEach(() => rmSync(tmpToken, { force: true }));

  async function discovered(env: Record<string, string | undefined>): Promise<[unknown, string[]]> {
    const resolved = plan(await loadPlanText(PLAN_WITH_LAKE, join(dir, 'p.yaml'), planContext(env)));
    return [resolved.credentials.token, resolved.sources];
  }

  it('prefers BEARER_TOKEN, then BEARER_TOKEN_FILE, then $XDG_RUNTIME_DIR/bt_u<uid>, then /tmp/bt_u<uid>', async () => {
    const xdg = join(dir, 'xdg');
    mkdirSync(xdg, { recursive: true });
    const xdgToken = join(xdg, `bt_u${TEST_UID}`);
    writeFileSync(xdgToken, 'xdg', { mode: 0o600 });
    writeFileSync(tmpToken, 'tmp', { mode: 0o600 });
    const tokenFile = file('token-file');
    const all = { BEARER_TOKEN: ' value-token\n', BEARER_TOKEN_FILE: tokenFile, XDG_RUNTIME_DIR: xdg };

    expect(await discovered(all)).toEqual([{ value: 'value-token', source: 'BEARER_TOKEN' }, ['credentials.token from BEARER_TOKEN']]);
    expect(await discovered({ ...all, BEARER_TOKEN: undefined })).toEqual([
      { file: tokenFile },
      ['credentials.token.file from BEARER_TOKEN_FILE'],
    ]);
    expect(await discovered({ XDG_RUNTIME_DIR: xdg })).toEqual([
      { file: xdgToken },
      [`credentials.token.file from default path ${xdgToken}`],
    ]);
    expect(await discovered({})).toEqual([{ file: tmpToken }, [`credentials.token.file from default path ${tmpToken}`]]);
  });

  it('moves on, with a warning, when BEARER_TOKEN_FILE names a missing file', async () => {
    writeFileSync(tmpToken, 'tmp', { mode: 0o600 });
    const result = await loadPlanText(PLAN_WITH_LAKE, join(dir, 'p.yaml'), planContext({ BEARER_TOKEN_FILE: join(dir, 'nope') }));
    expect(plan(result).credentials.token).toEqual({ file: tmpToken });
    expect(result.diagnostics.map(formatDiagnostic)).toEqual([
      `${join(dir, 'p.yaml')}:1:1: warning: credentials: BEARER_TOKEN_FILE ${join(dir, 'nope')}: file not found; not using it`,
    ]);
  });

  it('lets the plan name the variable that holds the token', async () => {
    const text = PLAN_WITH_LAKE.replace('experiments', 'credentials: { token: { env: PROBE_TOKEN } }\nexperiments');
    const resolved = plan(await loadPlanText(text, join(dir, 'p.yaml'), planContext({ PROBE_TOKEN: 'abc', BEARER_TOKEN: 'other' })));
    expect(resolved.credentials.token).toEqual({ value: 'abc', source: 'PROBE_TOKEN' });
    expect(resolved.sources).toEqual([]);
  });
});
