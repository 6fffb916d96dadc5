// The daemon runs what `run` runs, user scenarios included, and a plan reload loads the
// scenario modules again: an edited module runs as edited, a broken one keeps the old.
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startDaemon, type Daemon } from '../../src/jobs/daemon.js';
import { builtinScenarios } from '../../src/scenarios.js';
import { startTestLake } from '../integration/lake-fixture.js';

/** A user scenario that logs its version and lists the RSEs (one recorded operation). */
const scenario = (version: string, extra = ''): string => [
  "import { z } from 'zod';",
  `import { defineScenario } from '${resolve('src/engine/scenario.js')}';`,
  'export default defineScenario({',
  `  name: 'mine', description: 'version ${version}', params: z.strictObject({ tag: z.string().max(20) }),`,
  '  async run(ctx, params) {',
  `    ctx.log(\`mine ${version} \${params.tag}\`);`,
  "    await ctx.op({ operation: 'list' }, () => ctx.rucio.listRses());",
  extra,
  '  },',
  '});',
  '',
].join('\n');

const PLAN = `name: daemon-user
lake: { sandbox: true }
experiments:
  - name: E
    tests:
      - name: mine
        scenario: ./mine.ts
        auth: [token]
        rses: { names: [SANDBOX-FAST] }
        params: { tag: from-plan }
        schedule: { cron: "*/2 * * * * *" }
`;

async function until(what: string, probe: () => boolean, ms = 60_000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!probe()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

describe('the daemon and user scenarios', () => {
  let env: Awaited<ReturnType<typeof startTestLake>>;
  let dir: string;
  let store: string;
  let daemon: Daemon;
  const lines: string[] = [];

  beforeAll(async () => {
    env = await startTestLake();
    // Inside the project, so that the module's imports resolve as a user's would against an installed lakeprobe.
    dir = await mkdtemp(join(resolve('test/fixtures/user-scenarios'), '.scratch-daemon-'));
    store = await mkdtemp(join(tmpdir(), 'lakeprobe-daemon-user-'));
    await writeFile(join(dir, 'mine.ts'), scenario('v1'));
    await writeFile(join(dir, 'plan.yaml'), PLAN);
    daemon = await startDaemon({
      planFile: join(dir, 'plan.yaml'), env: env.lake.env, uid: 4_000_004, registry: builtinScenarios(), dbPath: join(store, 'r.db'),
      port: 0,
      // Each daemon line starts with its ISO-8601 time; the checks read what follows it.
      log: (l) => lines.push(l.replace(/^\d{4}-\d\d-\d\dT[\d:.]+Z /, '')), watch: false, stopGraceMs: 20_000,
    });
  }, 120_000);
  afterAll(async () => {
    await daemon?.stop();
    await env?.stop();
    await rm(dir, { recursive: true, force: true });
    await rm(store, { recursive: true, force: true });
  });

  it('runs a user scenario on its schedule with the plan\'s params, and records its operation', async () => {
    await until('a passed run of E/mine', () => daemon.history.runs.some((r) => r.test === 'mine' && r.outcome === 'passed'));
    expect(lines).toContain('mine v1 from-plan');
    const run = daemon.history.runs.find((r) => r.test === 'mine' && r.outcome === 'passed');
    expect(run?.operations).toBeGreaterThanOrEqual(2); // the login and the listing
    expect(run?.failed).toBe(0);
  }, 120_000);

  it('loads the module again on a plan reload: the edited scenario runs as edited', async () => {
    await writeFile(join(dir, 'mine.ts'), scenario('v2'));
    expect(await daemon.reload()).toBe(true);
    await until('a run of the edited module', () => lines.includes('mine v2 from-plan'));
  }, 120_000);

  it('keeps the loaded scenario running when the edited module does not compile, naming the plan line and the module line', async () => {
    await writeFile(join(dir, 'mine.ts'), scenario('v3', "    const n: number = 'not a number';"));
    expect(await daemon.reload()).toBe(false);
    const warning = lines.find((l) => l.startsWith('warning: plan reload failed')) ?? '';
    expect(warning).toContain(`${join(dir, 'plan.yaml')}:7:9: error: experiments[0].tests[0].scenario: user scenario ${join(dir, 'mine.ts')} does not compile`);
    expect(warning).toMatch(new RegExp(`${join(dir, 'mine.ts').replace(/[.]/g, '\\.')}:8:11: error: TS2322`));
    const seen = lines.filter((l) => l === 'mine v2 from-plan').length;
    await until('another run of the loaded module', () => lines.filter((l) => l === 'mine v2 from-plan').length > seen);
    expect(lines).not.toContain('mine v3 from-plan');
  }, 120_000);
});
