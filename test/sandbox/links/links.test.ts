import { mkdtempSync, rmSync } from 'node:fs';
import { get, createServer, type Server } from 'node:https';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ensurePki, type SandboxPki } from '../../../src/sandbox/pki/index.js';
import { startLinks, type Links } from '../../../src/sandbox/links/index.js';

/** A tiny HTTPS server that answers with its own name, as a storage endpoint stand-in. */
async function namedServer(pki: SandboxPki, name: string): Promise<{ server: Server; port: number }> {
  const server = createServer({ cert: pki.host.certPem, key: pki.host.keyPem }, (req, res) => {
    res.end(`${name} ${req.url}`);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return { server, port: (server.address() as AddressInfo).port };
}

function fetchText(url: string, ca: string): Promise<{ body: string; authorized: boolean }> {
  return new Promise((resolve, reject) => {
    get(url, { ca, agent: false }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (c: string) => (body += c));
      res.on('end', () => resolve({ body, authorized: (res.socket as import('node:tls').TLSSocket).authorized }));
    }).on('error', reject);
  });
}

describe('startLinks', () => {
  const tmp = mkdtempSync(join(tmpdir(), 'lakeprobe-links-'));
  let pki: SandboxPki;
  const endpoints = new Map<string, { server: Server; port: number }>();
  let links: Links;

  beforeAll(async () => {
    pki = await ensurePki(join(tmp, 'pki'));
    for (const rse of ['SITE-A', 'SITE-B']) endpoints.set(rse, await namedServer(pki, rse));
    links = await startLinks(
      [{ from: 'SITE-A', to: 'SITE-B', rttMs: 100, bandwidthMbit: 50 }],
      (rse) => ({ host: '127.0.0.1', port: (endpoints.get(rse) as { port: number }).port }),
    );
  });
  afterAll(async () => {
    await links.close();
    for (const { server } of endpoints.values()) await new Promise((r) => server.close(r));
    rmSync(tmp, { recursive: true, force: true });
  });

  const pfn = (rse: string, path: string): string => `https://localhost:${endpoints.get(rse)?.port}${path}`;

  it('routes a pull from the source through the declared link, with the real certificate verified end to end', async () => {
    const url = links.sourceUrl('SITE-A', 'SITE-B', pfn('SITE-A', '/data/f.dat'));
    expect(url).toBe(`https://localhost:${links.link('SITE-A', 'SITE-B')?.port}/data/f.dat`);
    const t0 = performance.now();
    const reply = await fetchText(url, pki.caCertPem);
    expect(reply).toEqual({ body: 'SITE-A /data/f.dat', authorized: true });
    // TCP handshake, TLS handshake and the request: three round trips of 100 ms.
    expect(performance.now() - t0).toBeGreaterThanOrEqual(290);
    expect(links.link('SITE-A', 'SITE-B')?.stats().connections).toBe(1);
  });

  it('leaves URLs of undeclared pairs, the reverse direction included, unchanged', () => {
    expect(links.sourceUrl('SITE-B', 'SITE-A', pfn('SITE-B', '/x'))).toBe(pfn('SITE-B', '/x'));
    expect(links.sourceUrl('SITE-A', 'SITE-C', pfn('SITE-A', '/x'))).toBe(pfn('SITE-A', '/x'));
    expect(links.link('SITE-B', 'SITE-A')).toBeUndefined();
  });

  it('refuses a link declared twice', async () => {
    const spec = { from: 'SITE-A', to: 'SITE-B', rttMs: 10 };
    await expect(startLinks([spec, spec], () => ({ host: '127.0.0.1', port: 1 }))).rejects.toThrow(/declared twice/);
  });
});
