// Failures that used to come out `unknown`: a catalogue answer cut mid-line (200, an
// x-json-stream list whose last line stops half-way) is a protocol_error, and reading a
// dataset that has no replicas is not_found. Rucio 41 streams lists one JSON value per line
// (lib/rucio/web/rest/flaskapi/v1/common.py, generate_http_error_flask / Response with
// application/x-json-stream in lib/rucio/web/rest/flaskapi/v1/rses.py); a dataset without
// attached files lists no replicas (lib/rucio/core/replica.py, list_replicas).
import { readFile } from 'node:fs/promises';
import { request as httpsRequest, createServer, type Server } from 'node:https';
import type { AddressInfo } from 'node:net';
import { Readable } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { classify } from '../../src/engine/classify.js';
import { openLakeSession } from '../../src/engine/lake-session.js';
import { runPlan } from '../../src/engine/runner.js';
import type { StorageDriver } from '../../src/lake/storage/driver.js';
import { ResultsStore } from '../../src/results/store.js';
import { builtinScenarios } from '../../src/scenarios.js';
import { loadTrustAnchors, loadX509Proxy } from '../../src/lake/credentials/index.js';
import { RucioClient } from '../../src/lake/rucio/index.js';
import { loadTestPlan, runTestPlan, startTestLake, STORAGE_KINDS, type TestLake } from './lake-fixture.js';

/**
 * An HTTPS proxy on loopback in front of the catalogue that answers every x-json-stream list
 * with its status and headers but the body cut in the middle of its last line.
 */
async function cuttingProxy(upstream: string, tls: { cert: string; key: string }, ca: string[]): Promise<{ url: string; cuts: () => number; close: () => Promise<void> }> {
  let cuts = 0;
  const target = new URL(upstream);
  const server: Server = createServer(tls, (req, res) => {
    const up = httpsRequest({
      host: target.hostname, port: target.port, path: req.url, method: req.method, headers: { ...req.headers, host: target.host }, ca,
    }, (answer) => {
      const chunks: Buffer[] = [];
      answer.on('data', (c: Buffer) => chunks.push(c));
      answer.on('end', () => {
        let body = Buffer.concat(chunks);
        const headers = { ...answer.headers };
        if (String(headers['content-type'] ?? '').includes('x-json-stream') && body.length > 2) {
          const text = body.toString('utf8').trimEnd();
          const lastLine = text.lastIndexOf('\n') + 1;
          body = Buffer.from(text.slice(0, lastLine + Math.max(1, Math.floor((text.length - lastLine) / 2))));
          cuts++;
        }
        delete headers['content-length'];
        delete headers['transfer-encoding'];
        res.writeHead(answer.statusCode ?? 502, { ...headers, 'content-length': body.length });
        res.end(body);
      });
    });
    up.on('error', () => res.destroy());
    req.pipe(up);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  const url = new URL(upstream);
  url.port = String(port);
  return { url: url.origin, cuts: () => cuts, close: () => new Promise<void>((resolve) => { server.closeAllConnections(); server.close(() => resolve()); }) };
}

/** A plan of one download-verify test on SANDBOX-FAST with x509. */
const downloadVerifyPlan = (test: string, params: string): string => `
lake: { sandbox: true }
rses: { names: [SANDBOX-FAST] }
experiments:
  - name: IT
    tests:
      - { name: ${test}, scenario: download-verify, auth: [x509], params: ${params} }
`;

describe.each(STORAGE_KINDS)('failures that are not unknown (%s storage)', (storage) => {
  let env: TestLake;
  let ca: string[];
  beforeAll(async () => {
    env = await startTestLake(storage);
    ca = await loadTrustAnchors(env.lake.pki.certDir);
  });
  afterAll(() => env.stop());

  it('classifies a catalogue list cut mid-line (200) as protocol_error', async () => {
    const proxy = await cuttingProxy(env.lake.rucioUrl, {
      cert: await readFile(env.lake.pki.host.certPath, 'utf8'), key: await readFile(env.lake.pki.host.keyPath, 'utf8'),
    }, ca);
    const x509 = await loadX509Proxy(env.lake.memberProxyPath);
    // Authenticated at the catalogue itself; only the list goes through the proxy.
    const direct = new RucioClient({ rucioHost: env.lake.rucioUrl, authHost: env.lake.rucioUrl, account: 'root', ca, auth: { method: 'x509', credential: x509 } });
    const cut = new RucioClient({ rucioHost: proxy.url, authHost: env.lake.rucioUrl, account: 'root', ca, auth: { method: 'x509', credential: x509 } });
    try {
      expect((await direct.listRses()).length).toBeGreaterThan(1);
      const error = await cut.listRses().then(() => expect.fail('expected the cut list to fail'), (e: unknown) => e);
      expect(proxy.cuts()).toBeGreaterThan(0);
      const { errorClass, message } = classify(error);
      expect(errorClass).toBe('protocol_error');
      expect(message).toMatch(/truncated or malformed x-json-stream line/);
    } finally {
      direct.close();
      cut.close();
      await proxy.close();
    }
  });

  it('classifies the download of a dataset with no replicas as not_found, naming the dataset', async () => {
    const x509 = await loadX509Proxy(env.lake.memberProxyPath);
    const rucio = new RucioClient({ rucioHost: env.lake.rucioUrl, authHost: env.lake.rucioUrl, account: 'root', ca, auth: { method: 'x509', credential: x509 } });
    const name = `lakeprobe.empty.${storage}.${Date.now()}`;
    try {
      await rucio.addDid('user.root', name, { type: 'DATASET', lifetime: 600 });
    } finally {
      rucio.close();
    }
    const plan = await loadTestPlan(env.lake, env.dir, downloadVerifyPlan('empty', `{ did: "user.root:${name}" }`));
    const { results } = await runTestPlan(plan);
    const failed = results.filter((r) => r.outcome === 'failed');
    expect(failed.map((r) => [r.operation, r.errorClass])).toEqual([['list', 'not_found']]);
    expect(failed[0]?.errorMessage).toContain(`user.root:${name}`);
  });

  it('reads a download cut short by the storage as a size mismatch naming the replica and its PFN', async () => {
    const plan = await loadTestPlan(env.lake, env.dir, downloadVerifyPlan('short', '{ files: 2, size: 5000, spread: false, schemes: [davs], lifetime: 600 }'));
    // The real session; the first download of the run ends after half of its bytes.
    let cutUrl = '';
    const openSession: typeof openLakeSession = async (p, method) => {
      const session = await openLakeSession(p, method);
      const storageOf = session.storage.bind(session);
      session.storage = (protocol) => {
        const driver = storageOf(protocol);
        return Object.assign(Object.create(driver) as StorageDriver, {
          get: async (url: string) => {
            const body = await driver.get(url);
            if (cutUrl) return body;
            cutUrl = url;
            const chunks: Buffer[] = [];
            for await (const c of body) chunks.push(c as Buffer);
            const all = Buffer.concat(chunks);
            return Readable.from([all.subarray(0, all.length >> 1)]);
          },
        });
      };
      return session;
    };
    const store = new ResultsStore(':memory:');
    const { run } = await runPlan({ plan, registry: builtinScenarios(), sinks: [store], ledger: store, openSession });
    const failed = store.results(run.runId).filter((r) => r.outcome === 'failed');
    expect(failed.map((r) => [r.operation, r.errorClass])).toEqual([['download', 'checksum_mismatch']]);
    const name = cutUrl.slice(cutUrl.lastIndexOf('/') + 1);
    expect(failed[0]?.errorMessage).toMatch(new RegExp(`^size mismatch at SANDBOX-FAST download of [\\w.]+:${name.replace(/\./g, '\\.')} \\(\\w+://`));
    expect(failed[0]?.errorMessage).toContain('read 2500 of 5000 bytes');
  });
});

