// Loads exchanges recorded from a real Rucio 41.0.0 server (test/fixtures/rucio/*.json)
// and replays them with nock: the client's request must match the recorded method, path,
// headers and JSON body; the recorded answer (status, headers, body) is sent back verbatim.
import { readFileSync } from 'node:fs';
import { isDeepStrictEqual } from 'node:util';
import nock from 'nock';
import { afterEach, beforeEach } from 'vitest';

export interface Exchange {
  source: string;
  request: { method: string; path: string; headers: Record<string, string>; body: string | null };
  response: { httpVersion: string; status: number; statusText: string; headers: string[]; body: string };
}

export const API = 'https://rucio.test';
export const AUTH = 'https://rucio-auth.test';
/** The token the recorded userpass login handed out (auth-userpass.json). */
export const RECORDED_TOKEN = 'root-ddmlab-unknown-125bf0b5da2b4da7bf60c9bff709d936';

const FIXTURES = new URL('../../fixtures/rucio/', import.meta.url);

export function loadExchange(name: string): Exchange {
  return JSON.parse(readFileSync(new URL(`${name}.json`, FIXTURES), 'utf8')) as Exchange;
}

/** Recorded headers as nock's flat raw list, keeping repeated names (Cache-Control). */
export function rawHeaders(exchange: Exchange): string[] {
  return exchange.response.headers.flatMap((line) => {
    const i = line.indexOf(':');
    return [line.slice(0, i), line.slice(i + 1).trim()];
  });
}

export interface ReplayOptions {
  /** Host the exchange is served on: API by default, AUTH for /auth/* paths. */
  host?: string;
  /** The path this client uses when it differs from the recorded one (same server view). */
  path?: string;
  /** Token the request must carry where the recording shows '<token>'. */
  token?: string;
}

export function replay(name: string, options: ReplayOptions = {}): nock.Scope {
  const exchange = loadExchange(name);
  const { request, response } = exchange;
  const isAuth = request.path.startsWith('/auth/');
  // /auth/validate is the one auth call that carries the token it asks about.
  const isLogin = isAuth && request.path !== '/auth/validate';
  const reqheaders: Record<string, string> = {};
  for (const [key, value] of Object.entries(request.headers)) {
    // Logins never carry a token, even where the recording's curl sent a stale one.
    if (value === '<token>') {
      if (!isLogin) reqheaders[key] = options.token ?? RECORDED_TOKEN;
    } else {
      reqheaders[key] = value;
    }
  }
  const expectedBody: unknown = request.body === null ? null : JSON.parse(request.body);
  const scope = nock(options.host ?? (isAuth ? AUTH : API), { reqheaders });
  return scope
    .intercept(options.path ?? request.path, request.method, (body: unknown) =>
      expectedBody === null ? body === '' || body === undefined : isDeepStrictEqual(body, expectedBody))
    .reply(response.status, response.body, rawHeaders(exchange));
}

/**
 * Every test of the file runs offline against recorded answers; with `loggedIn`, the
 * recorded userpass login is ready for the client to use.
 */
export function replayOffline(opts: { loggedIn?: boolean } = {}): void {
  beforeEach(() => {
    nock.disableNetConnect();
    if (opts.loggedIn) replay('auth-userpass');
  });
  afterEach(() => {
    nock.cleanAll();
    nock.enableNetConnect();
  });
}
