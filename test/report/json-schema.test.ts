import { readFileSync, writeFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { buildChallengeReport } from '../../src/report/challenge.js';
import { renderJson } from '../../src/report/json.js';
import { challengeReportSchema, reportJsonSchema } from '../../src/report/schema.js';
import { snapshotPlan } from '../../src/results/plan-snapshot.js';
import { KNOWN_RESULTS, knownPlan } from './known-store.js';

const DOC = resolve('docs/report.schema.json');

describe('report.json schema', () => {
  it('is documented in docs/report.schema.json, generated from the model (no drift)', () => {
    const generated = `${JSON.stringify(reportJsonSchema(), null, 2)}\n`;
    // To regenerate after a model change: LAKEPROBE_WRITE_SCHEMA=1 npx vitest run test/report/json-schema.test.ts
    if (process.env.LAKEPROBE_WRITE_SCHEMA === '1') writeFileSync(DOC, generated);
    expect(readFileSync(DOC, 'utf8')).toBe(generated);
  });

  it('documents the verdicts and the fields a reader needs', () => {
    const doc = JSON.parse(readFileSync(DOC, 'utf8')) as { $schema: string; description: string; properties: Record<string, unknown> };
    expect(doc.$schema).toBe('https://json-schema.org/draft/2020-12/schema');
    expect(doc.description).toBe('lakeprobe challenge report');
    expect(Object.keys(doc.properties)).toEqual(['schemaVersion', 'name', 'verdict', 'scale', 'selection', 'slotSeconds', 'notes', 'experiments', 'summary', 'agents']);
    const text = JSON.stringify(doc);
    for (const v of ['Completed', 'Partially', 'Failed', 'Not verified', 'Interrupted', 'Not run']) expect(text).toContain(`"${v}"`);
  });

  it('validates a real report, and refuses one with a wrong field', () => {
    const report = buildChallengeReport({
      name: 'dac-mini', plans: new Map([['run-1', snapshotPlan(knownPlan())]]), results: KNOWN_RESULTS,
      runs: [{ runId: 'run-1', planName: 'dac-mini', planHash: '', startedAt: '', finishedAt: '', state: 'finished' }],
    });
    const json = JSON.parse(renderJson(report)) as Record<string, unknown>;
    expect(challengeReportSchema.safeParse(json).success).toBe(true);
    const broken = { ...json, experiments: [{ ...(json.experiments as object[])[0], verdict: 'Passed' }] };
    expect(challengeReportSchema.safeParse(broken).success).toBe(false);
  });
});
