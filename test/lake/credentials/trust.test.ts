import { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CredentialError } from '../../../src/lake/errors.js';
import { loadTrustAnchors } from '../../../src/lake/credentials/index.js';
import { OpensslPki } from '../../helpers/openssl-pki.js';

let dir: string;
let caA: string;
let caB: string;

const body = (pem: string): string => pem.replace(/-----[A-Z ]+-----|\s+/g, '');

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'lakeprobe-trust-'));
  const certs = new OpensslPki(dir);
  caA = certs.ca('ca-a', '/DC=org/CN=CA A').certPem;
  caB = certs.ca('ca-b', '/DC=org/CN=CA B').certPem;
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('loadTrustAnchors', () => {
  it('reads every certificate of a PEM bundle', async () => {
    const bundle = join(dir, 'bundle.crt');
    writeFileSync(bundle, caA + caB);
    const anchors = await loadTrustAnchors(bundle);
    expect(anchors.map(body)).toEqual([body(caA), body(caB)]);
  });

  it('reads *.0 and *.pem files of a certificate directory once each, ignoring CRLs and policies', async () => {
    const certs = join(dir, 'certificates');
    mkdirSync(certs);
    writeFileSync(join(certs, 'CA-A.pem'), caA);
    symlinkSync(join(certs, 'CA-A.pem'), join(certs, 'a1b2c3d4.0'));
    writeFileSync(join(certs, 'e5f6a7b8.0'), caB);
    writeFileSync(join(certs, 'a1b2c3d4.r0'), '-----BEGIN X509 CRL-----\nAAAA\n-----END X509 CRL-----\n');
    writeFileSync(join(certs, 'a1b2c3d4.signing_policy'), 'access_id_CA X509 ...');
    symlinkSync(join(certs, 'gone.pem'), join(certs, 'deadbeef.0'));
    const warnings: string[] = [];
    const anchors = await loadTrustAnchors(certs, { onWarning: (w) => warnings.push(w) });
    expect(anchors.map(body).sort()).toEqual([body(caA), body(caB)].sort());
    expect(warnings).toEqual([`${join(certs, 'deadbeef.0')}: skipped, cannot be read`]);
  });

  it('reports a missing path as missing', async () => {
    const err = await loadTrustAnchors(join(dir, 'nowhere')).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(CredentialError);
    expect((err as CredentialError).problem).toBe('missing');
  });

  it('reports a directory without certificates as invalid', async () => {
    const empty = join(dir, 'empty');
    mkdirSync(empty);
    const err = await loadTrustAnchors(empty).catch((e: unknown) => e);
    expect([(err as CredentialError).problem, (err as CredentialError).message]).toEqual(['invalid', `${empty}: no CA certificates found`]);
  });
});
