// The store tests' PostgreSQL: the server starter the store benchmark uses too (it lives with
// the benchmark so the build carries it without the test tree).
import pg from 'pg';

export { POSTGRES, PG_USER, startPostgres, type StartOptions, type TestPostgres } from '../../bench/postgres-server.js';

/** The rows of one query, made with a connection of the test's own (a recount outside the code under test). */
export async function pgRows(url: string, sql: string, params: unknown[] = []): Promise<Record<string, unknown>[]> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    return (await client.query(sql, params)).rows as Record<string, unknown>[];
  } finally {
    await client.end();
  }
}
