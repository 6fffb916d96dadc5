// One fault, one class, on every run: a DN missing from an RSE's gridmap is classified the
// same for uploads and downloads, over davs and root, 20 times in a row while both cores are
// busy. XRootD drops the connection of an unmapped DN (xrootd-sandbox-facts: `http.gridmap
// required`), so what the client sees depends on when the reset lands; the follow-up
// diagnosis (src/lake/storage/diagnosis.ts) must not. lakeprobe's own storage refuses the DN
// with a 403 "Gridmap lookup failure" that may arrive before, or be lost to, the upload's reset.
import { spawn, type ChildProcess } from 'node:child_process';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { classify } from '../../src/engine/classify.js';
import { loadX509Proxy } from '../../src/lake/credentials/index.js';
import { syntheticStream } from '../../src/lake/data/synthetic.js';
import { DavsDriver } from '../../src/lake/storage/davs.js';
import { RootDriver } from '../../src/lake/storage/root.js';
import type { StorageDriver } from '../../src/lake/storage/driver.js';
import { STORAGE_KINDS, useTestLake } from './lake-fixture.js';

const RUNS = 20;
const SIZE = 1024 * 1024;
/** Each busy loop ends by itself after this long, should the test die before stopping it. */
const BUSY_LIMIT_MS = 10 * 60_000;

let busy: ChildProcess[] = [];

beforeAll(() => {
  busy = [0, 1].map(() => spawn(process.execPath, ['-e', `const end = Date.now() + ${BUSY_LIMIT_MS}; while (Date.now() < end) {}`], { stdio: 'ignore' }));
});

afterAll(() => {
  for (const child of busy) child.kill('SIGKILL');
});

async function classOf(run: () => Promise<unknown>): Promise<string> {
  try {
    await run();
    return 'ok';
  } catch (error) {
    return classify(error).errorClass;
  }
}

async function drain(driver: StorageDriver, url: string): Promise<void> {
  for await (const chunk of await driver.get(url)) void chunk;
}

describe.each(STORAGE_KINDS)('gridmap_missing gives one class on every run (%s storage)', (storage) => {
  const env = useTestLake(storage);
  const expected = storage === 'builtin' ? 'gridmap_unmapped' : 'identity_refused';

  it(`${RUNS}× upload, download and stat of the unmapped DN, both cores busy → ${expected} every time`, async () => {
    const rse = env.lake.rses.find((r) => r.name === 'SANDBOX-FAST');
    if (!rse) throw new Error('no SANDBOX-FAST');
    const member = await loadX509Proxy(env.lake.pki.users.member.proxyPath);
    const ca = [env.lake.pki.caCertPem];
    const drivers: StorageDriver[] = [new DavsDriver({ x509: member, ca })];
    const base = [`${rse.url}/determinism`];
    if (rse.rootUrl) {
      drivers.push(new RootDriver({ x509: member, ca }, { timeoutMs: 60_000 }));
      base.push(`${rse.rootUrl}//determinism`);
    }
    // A file to download, written while the DN is still mapped.
    for (const [i, d] of drivers.entries()) await d.put(`${base[i]}/seed`, syntheticStream({ seed: 'seed', size: SIZE }), SIZE);
    env.lake.faults.add({ kind: 'gridmap_missing', rse: 'SANDBOX-FAST', user: 'member' });
    await env.lake.faults.settled();

    const seen = new Map<string, string[]>();
    const note = (what: string, errorClass: string): void => void seen.set(what, [...(seen.get(what) ?? []), errorClass]);
    try {
      for (let run = 0; run < RUNS; run++) {
        for (const [i, d] of drivers.entries()) {
          const name = `${d.protocol}`;
          note(`${name} upload`, await classOf(() => d.put(`${base[i]}/up-${run}`, syntheticStream({ seed: `up-${run}`, size: SIZE }), SIZE)));
          note(`${name} download`, await classOf(() => drain(d, `${base[i]}/seed`)));
          note(`${name} stat`, await classOf(() => d.stat(`${base[i]}/seed`)));
        }
      }
    } finally {
      for (const d of drivers) (d as { close?: () => void }).close?.();
    }
    // Every operation, every run: the same class.
    const summary = Object.fromEntries([...seen].map(([what, classes]) => [what, [...new Set(classes)]]));
    const want = Object.fromEntries([...seen.keys()].map((what) => [what, [expected]]));
    expect(summary).toEqual(want);
    expect([...seen.values()].every((classes) => classes.length === RUNS)).toBe(true);
  }, 600_000);
});
