import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import Database from 'better-sqlite3';
import type { OpResult } from '../../src/engine/op-result.js';
import { ResultsStore } from '../../src/results/store.js';

let dir: string;
let dbCount = 0;
const open: ResultsStore[] = [];

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'lakeprobe-store-'));
});

afterEach(() => {
  for (const store of open.splice(0)) store.close();
});

afterAll(() => {
  rmSync(dir, { recursive: true, force: true });
});

function freshPath(): string {
  return join(dir, `results-${++dbCount}.sqlite`);
}

function openStore(path: string): ResultsStore {
  const store = new ResultsStore(path);
  open.push(store);
  return store;
}

function closeStore(store: ResultsStore): void {
  store.close();
  open.splice(open.indexOf(store), 1);
}

const uploadOk: OpResult = {
  runId: 'run-1', experiment: 'ska', test: 'upload-1g', scenario: 'upload', operation: 'upload',
  rse: 'SITE_A', srcRse: '', dstRse: 'SITE_A', protocol: 'davs', authMethod: 'x509', identityRole: 'member',
  bytes: 5_000_000_000, sizeClass: '4GiB', start: '2024-03-01T10:00:00.123Z', durationMs: 12_345.678,
  outcome: 'ok', severity: 'info', errorClass: null, errorMessage: '', ruleId: '', requestId: 'req-77',
};

const ruleFailed: OpResult = {
  ...uploadOk, operation: 'rule', protocol: 'rucio', authMethod: 'token', identityRole: 'default', bytes: 0,
  sizeClass: '0B', start: '2024-03-01T10:00:13.000Z', durationMs: 41, outcome: 'failed', severity: 'error', errorClass: 'quota',
  errorMessage: 'POST /rules/: 409 InsufficientAccountLimit: there is no quota left on SITE_A',
  ruleId: 'a1b2c3', requestId: '',
};

describe('ResultsStore results', () => {
  it('reads back every field of each result, in insertion order, after close and reopen', () => {
    const path = freshPath();
    const writer = openStore(path);
    writer.onResult(uploadOk);
    writer.onResult(ruleFailed);
    closeStore(writer);

    const reader = openStore(path);
    expect(reader.results('run-1')).toEqual([uploadOk, ruleFailed]);
  });

  it('keeps a null error class null and numbers as numbers', () => {
    const store = openStore(freshPath());
    store.onResult(uploadOk);
    const [back] = store.results('run-1');
    expect(back?.errorClass).toBeNull();
    expect(typeof back?.bytes).toBe('number');
    expect(back?.durationMs).toBe(12_345.678);
  });

  it('has a result on disk as soon as onResult returns (another connection sees it)', () => {
    const path = freshPath();
    const writer = openStore(path);
    writer.onResult(ruleFailed);
    const other = openStore(path);
    expect(other.results('run-1')).toEqual([ruleFailed]);
  });

  it('returns only the results of the requested run', () => {
    const store = openStore(freshPath());
    store.onResult(uploadOk);
    store.onResult({ ...ruleFailed, runId: 'run-2' });
    expect(store.results('run-1')).toEqual([uploadOk]);
    expect(store.results('run-2')).toEqual([{ ...ruleFailed, runId: 'run-2' }]);
    expect(store.results('run-3')).toEqual([]);
  });

  it('creates missing parent folders of the database file', () => {
    const path = join(dir, 'nested', 'deeper', 'results.sqlite');
    openStore(path);
    expect(existsSync(path)).toBe(true);
  });

  it('adds the severity column to a store written before it existed, derived from each row', () => {
    const path = freshPath();
    const old = new Database(path);
    old.exec(`CREATE TABLE op_results (
      id INTEGER PRIMARY KEY AUTOINCREMENT, run_id TEXT NOT NULL, experiment TEXT NOT NULL, test TEXT NOT NULL,
      scenario TEXT NOT NULL, operation TEXT NOT NULL, rse TEXT NOT NULL, src_rse TEXT NOT NULL, dst_rse TEXT NOT NULL,
      protocol TEXT NOT NULL, auth_method TEXT NOT NULL, identity_role TEXT NOT NULL, bytes INTEGER NOT NULL,
      size_class TEXT NOT NULL, start TEXT NOT NULL, duration_ms REAL NOT NULL, outcome TEXT NOT NULL,
      error_class TEXT, error_message TEXT NOT NULL, rule_id TEXT NOT NULL, request_id TEXT NOT NULL)`);
    const insert = old.prepare(`INSERT INTO op_results (run_id, experiment, test, scenario, operation, rse, src_rse,
      dst_rse, protocol, auth_method, identity_role, bytes, size_class, start, duration_ms, outcome, error_class,
      error_message, rule_id, request_id) VALUES ('r', 'e', 't', 's', 'access', '', '', '', 'davs', 'x509', 'nonmember',
      0, '0B', '2024-01-01T00:00:00Z', 1, ?, ?, '', '', '')`);
    insert.run('ok', null);
    insert.run('failed', 'embargo_violation');
    insert.run('failed', 'quota');
    old.close();
    const store = openStore(path);
    expect(store.results('r').map((r) => r.severity)).toEqual(['info', 'critical', 'error']);
  });

  it('works in memory', () => {
    const store = openStore(':memory:');
    store.onResult(uploadOk);
    expect(store.results('run-1')).toEqual([uploadOk]);
  });
});

describe('ResultsStore runs', () => {
  const run = { runId: 'run-1', planName: 'dac21', planFile: '/plans/dac21.yaml', startedAt: '2024-03-01T10:00:00.000Z' };

  it('records a run as unfinished at begin and with its summary at end, durably', () => {
    const path = freshPath();
    const store = openStore(path);
    store.onBegin(run);
    expect(store.run('run-1')).toEqual({ ...run, finishedAt: null, total: null, failed: null, state: 'running' });

    store.onEnd(run, { total: 12, failed: 3, finishedAt: '2024-03-01T11:00:00.000Z' });
    closeStore(store);
    expect(openStore(path).run('run-1')).toEqual({ ...run, finishedAt: '2024-03-01T11:00:00.000Z', total: 12, failed: 3, state: 'finished' });
  });

  it('lists runs newest first and answers undefined for an unknown run', () => {
    const store = openStore(freshPath());
    store.onBegin(run);
    store.onBegin({ ...run, runId: 'run-2', startedAt: '2024-03-02T10:00:00.000Z' });
    store.onBegin({ ...run, runId: 'run-0', startedAt: '2024-02-28T10:00:00.000Z' });
    expect(store.runs().map((r) => r.runId)).toEqual(['run-2', 'run-1', 'run-0']);
    expect(store.run('nope')).toBeUndefined();
  });

  it('refuses to begin the same run id twice', () => {
    const store = openStore(freshPath());
    store.onBegin(run);
    expect(() => store.onBegin(run)).toThrow(/UNIQUE/);
  });
});

describe('ResultsStore cleanup ledger', () => {
  it('walks an entry through intend → created(target) → done', () => {
    const store = openStore(freshPath());
    const before = Date.now();
    const id = store.intend({ runId: 'run-1', kind: 'rule', rse: 'SITE_A', target: '', authMethod: 'token' });
    const [pending] = store.pending();
    expect(pending).toEqual({
      id, runId: 'run-1', kind: 'rule', rse: 'SITE_A', target: '', authMethod: 'token',
      createdAt: expect.any(String), state: 'pending',
    });
    const createdAt = Date.parse(pending?.createdAt ?? '');
    expect(createdAt).toBeGreaterThanOrEqual(before - 1);
    expect(createdAt).toBeLessThanOrEqual(Date.now() + 1);

    store.created(id, 'rule-abc');
    expect(store.pending()).toEqual([{ ...pending, target: 'rule-abc', state: 'created' }]);

    store.done(id);
    expect(store.pending()).toEqual([]);
  });

  it('keeps the target when created() is given none', () => {
    const store = openStore(freshPath());
    const pfn = 'davs://se.example:443/data/user.alice/ab/cd/f1';
    const id = store.intend({ runId: 'run-1', kind: 'storage_file', rse: 'SITE_A', target: pfn, authMethod: 'x509' });
    store.created(id);
    expect(store.pending()).toMatchObject([{ id, target: pfn, state: 'created' }]);
  });

  it('hands out increasing ids and filters pending entries by run', () => {
    const store = openStore(freshPath());
    const a = store.intend({ runId: 'run-1', kind: 'did', rse: '', target: 'user.alice:ds1', authMethod: 'userpass' });
    const b = store.intend({ runId: 'run-2', kind: 'did', rse: '', target: 'user.alice:ds2', authMethod: 'userpass' });
    const c = store.intend({ runId: 'run-1', kind: 'rule', rse: 'SITE_B', target: '', authMethod: 'x509' });
    expect(b).toBeGreaterThan(a);
    expect(c).toBeGreaterThan(b);
    store.done(a);

    expect(store.pending('run-1').map((e) => e.id)).toEqual([c]);
    expect(store.pending('run-2').map((e) => e.id)).toEqual([b]);
    expect(store.pending().map((e) => e.id)).toEqual([b, c]);
    expect(store.pending('run-9')).toEqual([]);
  });

  it('keeps ledger entries across close and reopen, so a later cleanup finds them', () => {
    const path = freshPath();
    const store = openStore(path);
    const id = store.intend({ runId: 'run-1', kind: 'rule', rse: 'SITE_A', target: '', authMethod: 'token' });
    store.created(id, 'rule-xyz');
    const [entry] = store.pending();
    closeStore(store);

    const again = openStore(path);
    expect(again.pending('run-1')).toEqual([entry]);
    again.done(id);
    closeStore(again);
    expect(openStore(path).pending()).toEqual([]);
  });
});
