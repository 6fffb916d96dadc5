import type { CommandModule } from 'yargs';
import { existsSync } from 'node:fs';
import { ResultsStore } from '../../results/store.js';
import { isPostgresUrl, openPool, pgErrorText, storeLabel } from '../../results/postgres.js';
import { loadForReport, PgReader, StoreSelectionError } from '../../results/reader.js';
import { reportJob, ReportInputError } from '../../jobs/report.js';
import { Coordination, type AgentRow } from '../../agents/coordination.js';
import { REPORT_FORMATS, type ReportFormat } from '../../report/write.js';
import { builtinScenarios } from '../../scenarios.js';
import { loadPlanOrThrow } from '../../job.js';
import { CliError, EXIT } from '../exit-codes.js';
import { abs, out, processEnv, storeDb, storeOptions, uid } from '../common.js';

interface ReportArgs { db?: string; out: string; run?: string[]; plan?: string; from?: string; to?: string; format: string; name?: string }

/** "md,html" → ['md', 'html']; an unknown format is a usage error naming the known ones. */
export function parseFormats(text: string | undefined): ReportFormat[] {
  const list = (text ?? REPORT_FORMATS.join(',')).split(',').map((s) => s.trim()).filter(Boolean);
  const bad = list.filter((f) => !(REPORT_FORMATS as readonly string[]).includes(f));
  if (bad.length || !list.length) throw new CliError(`--format: unknown format ${bad.map((b) => `"${b}"`).join(', ') || '(none)'}; use ${REPORT_FORMATS.join(', ')}`, EXIT.invalidInput);
  return [...new Set(list)] as ReportFormat[];
}

/** What the report needs, read from the shared PostgreSQL store into memory. */
async function fromPostgres(url: string, selection: Parameters<typeof loadForReport>[1]): Promise<ResultsStore> {
  const pool = openPool(url, { max: 2 });
  try {
    return await loadForReport(await new PgReader(pool, url).open(), selection);
  } catch (e) {
    if (e instanceof StoreSelectionError) throw new CliError(e.message, EXIT.invalidInput);
    throw new CliError(`results store ${storeLabel(url)}: ${pgErrorText(e, url) || (e as { code?: string }).code}`, EXIT.setupFailed);
  } finally {
    await pool.end().catch(() => {});
  }
}

/** The agents that heartbeat into the shared store, as they last recorded themselves (none if no agent ever joined it). */
async function agentsOf(url: string): Promise<AgentRow[]> {
  const coordination = new Coordination(url);
  try {
    return await coordination.agentsIfAny();
  } catch (e) {
    throw new CliError(`results store ${storeLabel(url)}: reading its agents: ${pgErrorText(e, url) || (e as { code?: string }).code}`, EXIT.setupFailed);
  } finally {
    await coordination.close();
  }
}

export function reportCommand(setExit: (code: number) => void): CommandModule<object, ReportArgs> {
  return {
    command: 'report',
    describe: 'write the challenge report (Markdown, HTML, CSV, JSON, JUnit) of recorded runs or of a time window',
    builder: (y) => y.options(storeOptions)
      .option('run', { type: 'string', array: true, describe: 'run id(s), or "latest" (the default)' })
      .option('from', { type: 'string', describe: 'start of a time window (ISO-8601): every run\'s operations from then' })
      .option('to', { type: 'string', describe: 'end of the time window (ISO-8601, default now)' })
      .option('plan', { type: 'string', describe: 'plan file: only its experiments; its criteria for runs recorded without a stored plan' })
      .option('format', { type: 'string', default: REPORT_FORMATS.join(','), describe: `comma-separated: ${REPORT_FORMATS.join(', ')}` })
      .option('name', { type: 'string', describe: 'name of the report folder under --out (default: the run id or the window)' })
      .conflicts('run', ['from', 'to']),
    handler: async (args) => {
      const formats = parseFormats(args.format);
      const loaded = args.plan
        ? await loadPlanOrThrow({ planFile: args.plan, env: processEnv(), uid: uid(), registry: builtinScenarios() })
        : undefined;
      const plan = loaded?.plan;
      const dbPath = storeDb(args.db, plan);
      const shared = isPostgresUrl(dbPath);
      if (!shared && !existsSync(dbPath)) throw new CliError(`no results store at ${dbPath} (run a plan first, or pass --db)`, EXIT.invalidInput);
      const registry = loaded?.registry ?? builtinScenarios();
      // Agents coordinate through the shared store only: a SQLite store has none.
      const agents = shared ? await agentsOf(dbPath) : undefined;
      const store = shared
        ? await fromPostgres(dbPath, { runs: args.run, from: args.from, to: args.to, planName: plan?.name })
        : new ResultsStore(dbPath);
      try {
        const { report, written } = await reportJob({
          store, outDir: abs(args.out), runs: args.run, from: args.from, to: args.to, plan, formats, name: args.name, log: out, agents,
          describeScenario: (name) => registry.get(name)?.description,
        }).catch((e: unknown) => {
          throw e instanceof ReportInputError ? new CliError(e.message, EXIT.invalidInput) : e;
        });
        for (const w of written?.experiments ?? []) out(`${w.experiment}: ${w.markdown || w.html || w.json || w.csv} (${w.report.verdict})`);
        if (report.experiments.length === 0) out('the selection recorded no operations');
        out(`report folder: ${written?.dir}`);
        // The report is the product here; the run's own exit status said whether it passed.
        setExit(EXIT.ok);
      } finally {
        store.close();
      }
    },
  };
}
