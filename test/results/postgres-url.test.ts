// The --db URL as libpq reads it: the password never printed, the environment's SSL settings,
// the password file's lines (escapes, wildcards, first match, private files only).
import { chmodSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { connectionString, isPostgresUrl, storeLabel, urlPassword, urlSecrets, pgErrorText } from '../../src/results/postgres.js';
import { passTarget, pgpassPassword } from '../../src/results/pgpass.js';

const dir = mkdtempSync(join(tmpdir(), 'lakeprobe-pgurl-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('the --db URL', () => {
  it('tells a PostgreSQL URL from a file', () => {
    expect(isPostgresUrl('postgresql://h/db')).toBe(true);
    expect(isPostgresUrl('postgres://h/db')).toBe(true);
    expect(isPostgresUrl('reports/postgresql.db')).toBe(false);
  });

  it('is printed without its password, in the authority or as a parameter', () => {
    expect(storeLabel('postgresql://alice:s3cr%40t@db.example.org:5433/lake?sslmode=verify-full'))
      .toBe('postgresql://alice@db.example.org:5433/lake?sslmode=verify-full');
    expect(storeLabel('postgresql://db.example.org/lake?password=s3cr3t&sslmode=require')).toBe('postgresql://db.example.org/lake?sslmode=require');
    expect(urlPassword('postgresql://alice:s3cr%40t@db/lake')).toBe('s3cr@t');
    expect(urlPassword('postgresql://db/lake?password=p2')).toBe('p2');
    expect(urlSecrets('postgresql://alice:s3cr%40t@db/lake')).toEqual(['s3cr@t', 's3cr%40t']);
    expect(urlSecrets('postgresql://alice@db/lake')).toEqual([]);
    expect(pgErrorText(new Error('password authentication failed for s3cr@t at postgresql://alice:s3cr%40t@db/lake'), 'postgresql://alice:s3cr%40t@db/lake'))
      .not.toContain('s3cr');
  });

  it('takes PGSSLMODE and PGSSLROOTCERT when the URL does not say, with libpq semantics', () => {
    const u = new URL(connectionString('postgresql://db/lake', { PGSSLMODE: 'verify-full', PGSSLROOTCERT: '/etc/ca.pem' }));
    expect(Object.fromEntries(u.searchParams)).toEqual({ sslmode: 'verify-full', sslrootcert: '/etc/ca.pem', uselibpqcompat: 'true' });
    const own = new URL(connectionString('postgresql://db/lake?sslmode=disable', { PGSSLMODE: 'verify-full', PGSSLROOTCERT: '/etc/ca.pem' }));
    expect(Object.fromEntries(own.searchParams)).toEqual({ sslmode: 'disable', uselibpqcompat: 'true' });
    expect(connectionString('postgresql://db/lake', {})).toBe('postgresql://db/lake');
  });
});

describe('the password file', () => {
  const file = join(dir, 'pgpass');
  writeFileSync(file, [
    '# comment',
    'other.example.org:5432:*:alice:wrong',
    'db.example.org:5432:lake:alice:pa\\:ss\\\\word',
    '*:*:*:alice:fallback',
  ].join('\n'), { mode: 0o600 });

  it('gives the first matching line, unescaped, with * matching anything', () => {
    const target = passTarget('postgresql://alice@db.example.org/lake', {});
    expect(target).toEqual({ host: 'db.example.org', port: '5432', database: 'lake', user: 'alice' });
    expect(pgpassPassword(target, { PGPASSFILE: file })).toBe('pa:ss\\word');
    expect(pgpassPassword({ ...target, database: 'other' }, { PGPASSFILE: file })).toBe('fallback');
    expect(pgpassPassword({ ...target, user: 'bob' }, { PGPASSFILE: file })).toBeUndefined();
  });

  it('fills host, port, database and user from PG* variables', () => {
    expect(passTarget('postgresql:///', { PGHOST: 'h', PGPORT: '6000', PGUSER: 'u', PGDATABASE: 'd' })).toEqual({ host: 'h', port: '6000', database: 'd', user: 'u' });
  });

  it('is ignored when others may read it, as libpq does', () => {
    const open = join(dir, 'pgpass-open');
    writeFileSync(open, '*:*:*:*:x\n');
    chmodSync(open, 0o644);
    expect(pgpassPassword({ host: 'h', port: '5432', database: 'd', user: 'u' }, { PGPASSFILE: open })).toBeUndefined();
  });
});
