import { generateKeyPairSync } from 'node:crypto';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { planSecrets, SecretSet } from '../../src/engine/secrets.js';

describe('the secrets of a plan', () => {
  let dir: string;
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'lakeprobe-secrets-'));
  });
  afterAll(() => rm(dir, { recursive: true, force: true }));

  it('are the password, the token of a file or a variable, and the private key', async () => {
    const tokenFile = join(dir, 'token');
    await writeFile(tokenFile, 'opaque-token-from-a-file\n');
    const { privateKey } = generateKeyPairSync('ec', { namedCurve: 'P-256', privateKeyEncoding: { type: 'pkcs8', format: 'pem' }, publicKeyEncoding: { type: 'spki', format: 'pem' } });
    const keyFile = join(dir, 'key.pem');
    await writeFile(keyFile, privateKey);
    const fromFiles = await planSecrets({
      credentials: { userpass: { username: 'u', password: 'pw-1' }, token: { file: tokenFile }, x509: { cert: join(dir, 'none'), key: keyFile } },
    });
    expect(fromFiles).toContain('pw-1');
    expect(fromFiles).toContain('opaque-token-from-a-file');
    expect(fromFiles).toContain(privateKey.trim());
    const bodyLine = privateKey.split('\n')[1] ?? '';
    expect(bodyLine.length).toBeGreaterThanOrEqual(40);
    expect(fromFiles).toContain(bodyLine);
    expect(await planSecrets({ credentials: { token: { value: ' tok-from-env ', source: 'BEARER_TOKEN' } } })).toContain('tok-from-env');
    // A credential file that is missing gives nothing here: loading it for use reports that.
    expect(await planSecrets({ credentials: { token: { file: join(dir, 'missing') } } })).toEqual([]);
  });

  it('redact every line with what a session learns later too', () => {
    const session: string[] = [];
    const set = new SecretSet(['pw-1']).follow(session);
    const lines: string[] = [];
    const log = set.logger((l) => lines.push(l));
    session.push('session-token-9');
    log('pw-1 and session-token-9 and Bearer abc.def');
    expect(lines).toEqual(['<redacted> and <redacted> and Bearer <redacted>']);
  });
});
