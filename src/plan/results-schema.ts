// `results:` where the plan's runs are recorded when the command line does not say: the
// results store (a SQLite file, relative to the plan, or a shared PostgreSQL URL) and, for
// PostgreSQL, the local journal. `--db` and LAKEPROBE_DB (LAKEPROBE_JOURNAL) win over it.
import { z } from 'zod';
import { isPostgresUrl, urlPassword } from '../results/postgres.js';
import { MAX_TEXT_LENGTH } from './bounds.js';

const text = z.string().min(1).max(MAX_TEXT_LENGTH, { error: `at most ${MAX_TEXT_LENGTH} characters` });

export const resultsSchema = z.strictObject({
  db: text.refine((db) => !isPostgresUrl(db) || !urlPassword(db), {
    // The plan is stored with every run and shown in reports: a password must not be in it.
    error: 'a password does not belong in the plan (it is stored with every run): put it in the password file (PGPASSFILE, default ~/.pgpass) or PGPASSWORD',
  }).optional(),
  /** The local journal of a PostgreSQL store (default reports/journal-<hash>[-<agent>].db). */
  journal: text.optional(),
});

export type ResultsSection = z.output<typeof resultsSchema>;
