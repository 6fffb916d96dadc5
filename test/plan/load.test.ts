import { describe, expect, it } from 'vitest';
import { formatDiagnostic, loadPlanFile, loadPlanText, type PlanLoadResult } from '../../src/plan/index.js';
import { FIXTURES, fixture, planContext } from './context.js';

const formatted = (result: PlanLoadResult): string[] => result.diagnostics.map(formatDiagnostic);
const EMPTY_CFG = `${FIXTURES}/empty-rucio.cfg`;

describe('loadPlanFile: a valid plan', () => {
  it('resolves every section of a full plan, with defaults and scenario params applied', async () => {
    const result = await loadPlanFile(fixture('full.yaml'), planContext({ LAKE_PASSWORD: 'pw-from-env' }));
    expect(formatted(result)).toEqual([]);
    expect(result.ok && result.plan).toEqual({
      name: 'dac-demo',
      file: fixture('full.yaml'),
      sandbox: false,
      lake: {
        rucioHost: 'https://rucio.example.org',
        authHost: 'https://rucio-auth.example.org',
        vo: 'escape',
        account: 'ddmlab',
        caPath: `${FIXTURES}/creds`,
        insecure: false,
      },
      credentials: {
        userpass: { username: 'ddmlab', password: 'pw-from-env' },
        x509: { proxy: `${FIXTURES}/creds/x509up` },
        token: { file: `${FIXTURES}/creds/bt` },
      },
      rses: { expression: 'QOS=FAST|QOS=SAFE' },
      experiments: [
        {
          name: 'SKAO',
          description: 'SRCNet ingest',
          tests: [
            {
              name: 'upload-small',
              scenario: 'upload',
              auth: ['userpass', 'x509', 'token'],
              params: { size: 1048576, count: 1 },
              schedule: { cron: '*/30 * * * *', offsetSeconds: 60, jitterSeconds: 0, timezone: 'UTC' },
              success: { maxFailureRate: 0, maxP95Ms: 60000 },
            },
            {
              name: 'upload-large',
              scenario: 'upload',
              auth: null,
              rses: { names: ['DESY-DCACHE', 'CNAF-STORM'] },
              params: { size: 1073741824, count: 3 },
            },
          ],
        },
        { name: 'CTA', tests: [{ name: 'replicate', scenario: 'replicate', auth: null, params: {} }] },
      ],
      sources: [],
    });
  });

  it('accepts a sandbox plan without host, account or credentials and names it after its file', async () => {
    const result = await loadPlanFile(fixture('sandbox.yaml'), planContext());
    expect(formatted(result)).toEqual([]);
    if (!result.ok) throw new Error('expected ok');
    expect(result.plan.name).toBe('sandbox');
    expect(result.plan.sandbox).toBe(true);
    expect(result.plan.lake).toEqual({ vo: 'def', insecure: false });
    expect(result.plan.credentials).toEqual({});
    expect(result.plan.rses).toEqual({ expression: '*' });
  });

  it('reads a password from password_file relative to the plan, without its newline', async () => {
    const result = await loadPlanFile(fixture('password-file.yaml'), planContext());
    expect(result.ok && result.plan.credentials.userpass).toEqual({ username: 'ddmlab', password: 's3cret' });
  });
});

describe('loadPlanFile: diagnostics', () => {
  it('reports every schema, scenario and params problem at once, each at its line and column', async () => {
    const result = await loadPlanFile(fixture('problems.yaml'), planContext());
    const f = fixture('problems.yaml');
    expect(result.ok).toBe(false);
    expect(formatted(result)).toEqual([
      `${f}:1:1: error: name: must start with a letter or digit and contain only letters, digits, "_", "." and "-"`,
      `${f}:3:3: error: lake.rucio_hots: unknown key "rucio_hots" (did you mean "rucio_host"?)`,
      `${f}:5:3: error: lake.insecure: expected boolean, got "no"`,
      `${f}:7:33: error: credentials.userpass.password: inline passwords are refused: use password_env (an environment variable name) or password_file`,
      `${f}:8:1: error: rses: set either expression or names, not both`,
      `${f}:15:9: error: experiments[0].tests[0].scenario: unknown scenario "uplaod" (known: upload, replicate)`,
      `${f}:16:9: error: experiments[0].tests[1].name: duplicate test name "up" (first used by experiments[0].tests[0])`,
      `${f}:18:19: error: experiments[0].tests[1].params.size: must be > 0`,
      `${f}:18:29: error: experiments[0].tests[1].params.colour: unknown key "colour"`,
      `${f}:19:21: error: experiments[0].tests[1].schedule.cron: cron expression needs 5 or 6 fields, got 4`,
      `${f}:20:16: error: experiments[0].tests[1].auth[0]: expected one of "userpass", "x509", "token", got "x590" (did you mean "x509"?)`,
      `${f}:21:9: error: experiments[0].tests[2].name: required key is missing`,
      `${f}:21:9: error: experiments[0].tests[2].params.size: required key is missing`,
      `${f}:22:9: error: experiments[0].tests[2].sucess: unknown key "sucess" (did you mean "success"?)`,
    ]);
  });

  it('never echoes an inline password', async () => {
    const result = await loadPlanFile(fixture('problems.yaml'), planContext());
    expect(formatted(result).join('\n')).not.toContain('hunter2');
  });

  it('reports YAML syntax errors together with the schema problems of what could be read', async () => {
    const result = await loadPlanFile(fixture('yaml-errors.yaml'), planContext());
    const f = fixture('yaml-errors.yaml');
    const cfg = `rucio_host in [client] of ${EMPTY_CFG}`;
    expect(formatted(result)).toEqual([
      `${f}:1:1: error: lake.rucio_host: is required without the sandbox: set it here, or ${cfg}`,
      `${f}:1:1: error: lake.account: is required without the sandbox: set it here, or account in [client] of ${EMPTY_CFG}`,
      `${f}:1:1: error: credentials: no usable credentials found: set credentials.userpass, or username and password in rucio.cfg; ` +
        'set credentials.x509, client_x509_proxy in rucio.cfg, or X509_USER_PROXY; set credentials.token, BEARER_TOKEN or BEARER_TOKEN_FILE',
      `${f}:3:5: error: YAML: duplicate key "name": each key may appear once in a mapping`,
      `${f}:7:19: error: experiments[0].tests[0].params.size: expected number, got a list`,
      `${f}:7:28: error: YAML: Flow sequence in block collection must be sufficiently indented and end with a ]`,
      `${f}:7:29: error: YAML: Flow map in block collection must be sufficiently indented and end with a }`,
    ]);
  });

  it('reports each credential file or variable the plan names but that cannot be used', async () => {
    const result = await loadPlanFile(fixture('missing-files.yaml'), planContext());
    const f = fixture('missing-files.yaml');
    expect(formatted(result)).toEqual([
      `${f}:4:3: error: lake.ca_cert: ${FIXTURES}/creds/no-such-ca-dir: file not found`,
      `${f}:6:33: error: credentials.userpass.password_env: environment variable UNSET_PASSWORD_VARIABLE is not set`,
      `${f}:7:11: error: credentials.x509.cert: ${FIXTURES}/creds/no-such-usercert.pem: file not found`,
      `${f}:7:45: error: credentials.x509.key: ${FIXTURES}/creds/no-such-userkey.pem: file not found`,
      `${f}:8:12: error: credentials.token.file: ${FIXTURES}/creds/no-such-token: file not found`,
    ]);
  });

  it('names what to set when neither the plan nor rucio.cfg gives the lake, and flags auth methods without credentials', async () => {
    const result = await loadPlanFile(fixture('no-lake.yaml'), planContext({ PROBE_TOKEN: 'opaque' }));
    const f = fixture('no-lake.yaml');
    expect(formatted(result)).toEqual([
      `${f}:1:1: error: lake.rucio_host: is required without the sandbox: set it here, or rucio_host in [client] of ${EMPTY_CFG}`,
      `${f}:1:1: error: lake.account: is required without the sandbox: set it here, or account in [client] of ${EMPTY_CFG}`,
      `${f}:8:23: error: experiments[0].tests[0].auth[1]: no x509 credentials: set credentials.x509, client_x509_proxy in rucio.cfg, or X509_USER_PROXY`,
    ]);
  });

  it('reports a plan file that cannot be read', async () => {
    const result = await loadPlanFile(fixture('absent.yaml'), planContext());
    expect(formatted(result)).toEqual([`${fixture('absent.yaml')}:1:1: error: cannot read plan: file not found`]);
  });

  it('reports a file that is not a mapping', async () => {
    const result = await loadPlanText('- upload\n- replicate\n', 'list.yaml', planContext());
    expect(formatted(result)).toEqual(['list.yaml:1:1: error: a plan is a YAML mapping with at least "experiments"']);
  });

  it('points a missing required key at its parent and an empty list at itself', async () => {
    const text = 'lake:\n  sandbox: true\nexperiments:\n  - name: e\n    tests: []\n  - description: no name\n    tests:\n      - name: t\n        scenario: replicate\n';
    const result = await loadPlanText(text, 'p.yaml', planContext());
    expect(formatted(result)).toEqual([
      'p.yaml:5:5: error: experiments[0].tests: must have at least 1 item',
      'p.yaml:6:5: error: experiments[1].name: required key is missing',
    ]);
  });

  it('reports duplicate experiment names and refuses mixed or incomplete credential forms', async () => {
    const text = [
      'lake: { sandbox: true }',
      'credentials:',
      '  x509: { proxy: a, cert: b }',
      '  token: {}',
      '  userpass: { password_env: A, password_file: b }',
      'experiments:',
      '  - { name: e, tests: [{ name: t, scenario: replicate }] }',
      '  - { name: e, tests: [{ name: t, scenario: replicate, auth: [token, token] }] }',
      '',
    ].join('\n');
    const result = await loadPlanText(text, 'p.yaml', planContext());
    expect(formatted(result)).toEqual([
      'p.yaml:3:3: error: credentials.x509: set either proxy, or cert and key, not both',
      'p.yaml:4:3: error: credentials.token: set exactly one of file, env, issuer',
      'p.yaml:5:32: error: credentials.userpass.password_file: set only one of password_env, password_file',
      'p.yaml:8:7: error: experiments[1].name: duplicate experiment name "e" (first used by experiments[0])',
      'p.yaml:8:56: error: experiments[1].tests[0].auth: lists a method twice',
    ]);
  });

  it('wants URLs with a scheme for the Rucio hosts', async () => {
    const text = 'lake: { sandbox: true, rucio_host: rucio.example.org }\nexperiments: [{ name: e, tests: [{ name: t, scenario: replicate }] }]\n';
    const result = await loadPlanText(text, 'p.yaml', planContext());
    expect(formatted(result)).toEqual(['p.yaml:1:24: error: lake.rucio_host: must be an http(s) URL']);
  });

  it('keeps warnings on a plan that loads', async () => {
    const env = { X509_USER_PROXY: '/nonexistent/x509up' };
    const result = await loadPlanFile(fixture('sandbox.yaml'), planContext(env));
    expect(result.ok).toBe(true);
    expect(formatted(result)).toEqual([
      `${fixture('sandbox.yaml')}:1:1: warning: credentials: X509_USER_PROXY /nonexistent/x509up: file not found; not using it`,
    ]);
  });
});
