// Load on the Rucio REST API the way many clients at once do: log in, list replicas in
// bulk, register replicas. Bounded (RATE, DURATION_S, MAX_VUS). Registered replicas carry
// a tombstone so the reaper removes them; nothing else is created.
//
//   RUCIO_HOST, RUCIO_AUTH_HOST, RUCIO_ACCOUNT, RUCIO_USERNAME, RUCIO_PASSWORD (userpass),
//   RUCIO_SCOPE (a scope the account may write), RUCIO_RSE (a deterministic RSE),
//   RUCIO_DIDS (JSON list of {scope,name} to list; default: what this run registered)
import http from 'k6/http';
import exec from 'k6/execution';
import { env, loadOptions, record, summaryOutputs } from './common.ts';

export const options = loadOptions();

interface Setup {
  token: string;
}

function login(): string {
  const res = http.get(`${env('RUCIO_AUTH_HOST')}/auth/userpass`, {
    headers: {
      'X-Rucio-Account': env('RUCIO_ACCOUNT'), 'X-Rucio-Username': env('RUCIO_USERNAME'),
      'X-Rucio-Password': env('RUCIO_PASSWORD'),
    },
    tags: { operation: 'auth' },
  });
  const token = res.headers['X-Rucio-Auth-Token'] ?? '';
  if (!record('auth', res, res.status === 200 && token !== '')) throw new Error(`login failed: HTTP ${res.status}`);
  return token;
}

export function setup(): Setup {
  return { token: login() };
}

export default function (data: Setup): void {
  const headers = { 'X-Rucio-Auth-Token': data.token, 'Content-Type': 'application/json' };
  const scope = env('RUCIO_SCOPE');
  const name = `k6-${exec.scenario.iterationInTest}-${Date.now()}`;
  const add = http.post(`${env('RUCIO_HOST')}/replicas`, JSON.stringify({
    rse: env('RUCIO_RSE'),
    files: [{ scope, name, bytes: 1, adler32: '00020002', tombstone: new Date().toISOString().slice(0, 19) }],
  }), { headers, tags: { operation: 'register' } });
  record('register', add, add.status === 201);

  const dids = __ENV.RUCIO_DIDS ? JSON.parse(__ENV.RUCIO_DIDS) as { scope: string; name: string }[] : [{ scope, name }];
  const list = http.post(`${env('RUCIO_HOST')}/replicas/list`, JSON.stringify({ dids, schemes: ['davs', 'root'] }), {
    headers: { ...headers, Accept: 'application/x-json-stream' }, tags: { operation: 'list' },
  });
  record('list', list, list.status === 200);

  // A fresh login now and then: the auth server is part of the load.
  if (exec.scenario.iterationInTest % 20 === 0) login();
}

export function handleSummary(data: unknown): Record<string, string> {
  return summaryOutputs(data);
}
