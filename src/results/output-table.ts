// Test outputs (`consumes`) in the results store: each publication of an output is one row,
// so a consumer in a later run (a daemon's fire) finds its upstream's latest complete output.
import type Database from 'better-sqlite3';
import type { OutputKind, OutputRecord } from '../engine/outputs.js';
import type { AuthMethod } from '../engine/op-result.js';

export const OUTPUTS_SCHEMA = `
CREATE TABLE IF NOT EXISTS test_outputs (
  id INTEGER PRIMARY KEY AUTOINCREMENT,
  run_id TEXT NOT NULL, experiment TEXT NOT NULL, test TEXT NOT NULL, auth_method TEXT NOT NULL,
  kind TEXT NOT NULL, scope TEXT NOT NULL, name TEXT NOT NULL, rule_id TEXT NOT NULL, rse TEXT NOT NULL,
  state TEXT NOT NULL, complete INTEGER NOT NULL, detail TEXT NOT NULL, at TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS test_outputs_test ON test_outputs (experiment, test, kind, complete, id);
`;

export function insertOutput(db: Database.Database, o: OutputRecord): void {
  db.prepare(`INSERT INTO test_outputs (run_id, experiment, test, auth_method, kind, scope, name, rule_id, rse, state, complete, detail, at)
    VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`)
    .run(o.runId, o.experiment, o.test, o.authMethod, o.kind, o.scope, o.name, o.ruleId, o.rse, o.state, o.complete ? 1 : 0, o.detail, o.at);
}

/** The newest publication (by insertion) of the test's output of this kind; only complete ones when `complete`. */
export function latestOutput(db: Database.Database, experiment: string, test: string, kind: OutputKind, complete: boolean): OutputRecord | undefined {
  const row = db.prepare(`SELECT * FROM test_outputs WHERE experiment = ? AND test = ? AND kind = ?${complete ? ' AND complete = 1' : ''}
    ORDER BY id DESC LIMIT 1`).get(experiment, test, kind) as Record<string, unknown> | undefined;
  if (!row) return undefined;
  return {
    runId: String(row.run_id), experiment: String(row.experiment), test: String(row.test), authMethod: row.auth_method as AuthMethod,
    kind: row.kind as OutputKind, scope: String(row.scope), name: String(row.name), ruleId: String(row.rule_id), rse: String(row.rse),
    state: String(row.state), complete: row.complete === 1, detail: String(row.detail), at: String(row.at),
  };
}
