// The store tests' PostgreSQL: the server starter the store benchmark uses too (it lives with
// the benchmark so the build carries it without the test tree).
export { POSTGRES, PG_USER, startPostgres, type StartOptions, type TestPostgres } from '../../bench/postgres-server.js';
