import nock from 'nock';
import { describe, expect, it } from 'vitest';
import { RucioApiError } from '../../../src/lake/errors.js';
import { apiError } from '../../../src/lake/rucio/http.js';
import { RucioClient } from '../../../src/lake/rucio/index.js';
import { API, AUTH, loadExchange, replay, replayOffline } from './fixtures.js';

const RECORDED_NOW = new Date('2026-11-25T00:04:23Z');

function client(password = 'secret'): RucioClient {
  return new RucioClient({
    rucioHost: API, authHost: AUTH, account: 'root',
    auth: { method: 'userpass', username: 'ddmlab', password },
    ca: [], now: () => RECORDED_NOW,
  });
}

async function rejection(promise: Promise<unknown>): Promise<RucioApiError> {
  const error: unknown = await promise.then(() => null, (e: unknown) => e);
  expect(error).toBeInstanceOf(RucioApiError);
  return error as RucioApiError;
}

replayOffline({ loggedIn: true });

describe('Rucio error answers become RucioApiError with the server exception', () => {
  it('rule without quota: 409 InsufficientAccountLimit', async () => {
    replay('error-rule-insufficient-account-limit');
    const error = await rejection(client().addRule({ dids: [{ scope: 'test', name: 'dataset1' }], copies: 1, rseExpression: 'QOS=FAST' }));
    expect(error).toMatchObject({
      status: 409, exceptionClass: 'InsufficientAccountLimit', method: 'POST', path: '/rules/',
      exceptionMessage: "There is insufficient quota on any of the target RSE's to fulfill the operation.",
    });
  });

  it('RSE expression: 400 on listing (bad syntax, empty set) but 409 on rule creation', async () => {
    replay('error-rse-expression-syntax');
    replay('error-rse-expression-empty');
    replay('error-rule-rse-expression-empty');
    const c = client();
    const syntax = await rejection(c.listRses('QOS==(FAST'));
    expect(syntax).toMatchObject({ status: 400, exceptionClass: 'InvalidRSEExpression', exceptionMessage: 'Problem with parentheses.', path: '/rses/?expression=QOS%3D%3D%28FAST' });
    const empty = await rejection(c.listRses('QOS=NOPE'));
    expect(empty).toMatchObject({ status: 400, exceptionClass: 'InvalidRSEExpression', exceptionMessage: 'RSE Expression resulted in an empty set.' });
    const rule = await rejection(c.addRule({ dids: [{ scope: 'test', name: 'dataset1' }], copies: 1, rseExpression: 'QOS=NOPE' }));
    expect(rule).toMatchObject({ status: 409, exceptionClass: 'InvalidRSEExpression', exceptionMessage: 'RSE Expression resulted in an empty set.' });
  });

  it('unknown RSE, DID, rule and scope: 404 with the specific class', async () => {
    replay('error-rse-not-found');
    replay('error-did-not-found');
    replay('error-rule-not-found');
    replay('error-did-scope-not-found');
    replay('error-rule-did-not-found');
    const c = client();
    expect(await rejection(c.getRse('NO-SUCH-RSE'))).toMatchObject({
      status: 404, exceptionClass: 'RSENotFound', exceptionMessage: "RSE 'NO-SUCH-RSE' cannot be found in vo 'def'", method: 'GET', path: '/rses/NO-SUCH-RSE',
    });
    expect(await rejection(c.getDid('test', 'does-not-exist'))).toMatchObject({
      status: 404, exceptionClass: 'DataIdentifierNotFound', exceptionMessage: "Data identifier 'test:does-not-exist' not found",
    });
    expect(await rejection(c.getRule('00000000000000000000000000000000'))).toMatchObject({ status: 404, exceptionClass: 'RuleNotFound' });
    expect(await rejection(c.addDid('nosuchscope', 'ds', { type: 'DATASET' }))).toMatchObject({
      status: 404, exceptionClass: 'ScopeNotFound', exceptionMessage: 'Scope not found!', path: '/dids/nosuchscope/ds',
    });
    expect(await rejection(c.addRule({ dids: [{ scope: 'test', name: 'nope' }], copies: 1, rseExpression: 'MOCK-A' }))).toMatchObject({
      status: 404, exceptionClass: 'DataIdentifierNotFound', exceptionMessage: 'Data identifier test:nope is not valid.',
    });
  });

  it('duplicates: 409 Duplicate for a scope, DataIdentifierAlreadyExists for a DID', async () => {
    replay('error-scope-duplicate', { path: '/accounts/root/scopes/test' });
    replay('error-did-duplicate');
    const c = client();
    expect(await rejection(c.addScope('root', 'test'))).toMatchObject({ status: 409, exceptionClass: 'Duplicate', exceptionMessage: "Scope 'test' already exists!" });
    expect(await rejection(c.addDid('test', 'dataset1', { type: 'DATASET' }))).toMatchObject({
      status: 409, exceptionClass: 'DataIdentifierAlreadyExists', exceptionMessage: 'Data Identifier already exists!',
    });
  });

  it('schema validation: InvalidObject as 500 on replicas and 400 on DIDs, with the full body message', async () => {
    replay('error-replicas-invalid-adler32');
    replay('error-did-invalid-scope-name');
    const c = client();
    const adler = await rejection(c.addReplicas('MOCK-A', [{ scope: 'test', name: 'badadler', bytes: 10, adler32: '000000010' }]));
    expect(adler).toMatchObject({ status: 500, exceptionClass: 'InvalidObject' });
    // The header copy is cut at 125 characters; the body keeps the whole message.
    expect(adler.exceptionMessage).toContain("On instance[0]['adler32']");
    const scope = await rejection(c.addDid('bad scope', 'x', { type: 'DATASET' }));
    expect(scope).toMatchObject({ status: 400, exceptionClass: 'InvalidObject', path: '/dids/bad%20scope/x' });
    expect(scope.exceptionMessage).toMatch(/^Problem validating did: 'bad scope' does not match/);
  });

  it('bad password: 401 CannotAuthenticate from the login, without the password in the message', async () => {
    nock.cleanAll();
    replay('error-auth-bad-credentials');
    const error = await rejection(client('wrong').listScopes());
    expect(error).toMatchObject({
      status: 401, exceptionClass: 'CannotAuthenticate', method: 'GET', path: '/auth/userpass',
      exceptionMessage: 'Cannot authenticate to account root with given credentials',
    });
    expect(error.message).not.toContain('wrong');
  });

  it('a request without a token: 400 ValueError, which is not retried as an auth failure', async () => {
    const missing = replay('error-missing-token');
    const error = await rejection(client().listRses());
    expect(error).toMatchObject({ status: 400, exceptionClass: 'ValueError', exceptionMessage: 'Token must be set.' });
    expect(missing.isDone()).toBe(true);
  });

  it('DELETE /rules/<id> without a body: 400 ValueError', () => {
    const exchange = loadExchange('error-rule-delete-without-body');
    const response = { status: exchange.response.status, statusMessage: exchange.response.statusText, headers: { exceptionclass: 'ValueError' }, body: exchange.response.body };
    expect(apiError(response, 'DELETE', exchange.request.path, [])).toMatchObject({
      status: 400, exceptionClass: 'ValueError', exceptionMessage: 'cannot decode json parameter dictionary',
    });
  });
});

describe('token validation refusals', () => {
  it('shortens the traceback Rucio 41 sends with CannotAuthenticate at /auth/validate to its last exception', () => {
    // core/oidc.py validate_jwt raises CannotAuthenticate(traceback.format_exc()); flaskapi/v1/auth.py Validate lets it through (500).
    const message = 'Traceback (most recent call last):\n  File "/opt/rucio/lib/rucio/core/oidc.py", line 964, in validate_jwt\n'
      + '    raise CannotAuthenticate(traceback.format_exc())\nrucio.common.exception.CannotAuthenticate: Cannot authenticate.\nDetails: NoneType: None\n';
    const body = JSON.stringify({ ExceptionClass: 'CannotAuthenticate', ExceptionMessage: message });
    expect(apiError({ status: 500, statusMessage: 'INTERNAL SERVER ERROR', headers: {}, body }, 'GET', '/auth/validate', [])).toMatchObject({
      status: 500, exceptionClass: 'CannotAuthenticate',
      exceptionMessage: 'rucio.common.exception.CannotAuthenticate: Cannot authenticate. Details: NoneType: None',
    });
    const plain = JSON.stringify({ ExceptionClass: 'CannotAuthenticate', ExceptionMessage: 'NoneType: None\n' });
    expect(apiError({ status: 500, statusMessage: '', headers: {}, body: plain }, 'GET', '/auth/validate', []).exceptionMessage).toBe('NoneType: None\n');
  });
});

describe('error answers without a JSON body', () => {
  it('falls back to the ExceptionClass/ExceptionMessage headers', async () => {
    // A GET is retried after a 503 (three attempts in all).
    nock(API).get('/scopes/').times(3).reply(503, 'Service Unavailable', { ExceptionClass: 'DatabaseException', ExceptionMessage: 'pool exhausted' });
    const error = await rejection(client().listScopes());
    expect(error).toMatchObject({ status: 503, exceptionClass: 'DatabaseException', exceptionMessage: 'pool exhausted (after 3 attempts)' });
  });

  it("keeps an empty class and the body's head for a proxy's error page", async () => {
    nock(API).get('/scopes/').times(3).reply(502, '<html>\n<body><h1>502 Bad Gateway</h1></body>\n</html>', { 'Content-Type': 'text/html' });
    const error = await rejection(client().listScopes());
    expect(error).toMatchObject({ status: 502, exceptionClass: '', exceptionMessage: '<html> <body><h1>502 Bad Gateway</h1></body> </html> (after 3 attempts)' });
  });
});
