// Runs the vitest suite and ends with the plain "tests: N passed, N failed[, N skipped]"
// line that CI logs read. A suite that cannot set up counts its tests as failed (see
// tally-reporter.mjs); with CI=true a test skipped for a missing tool is a failure.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const dir = mkdtempSync(join(tmpdir(), 'lakeprobe-vitest-'));
const tallyFile = join(dir, 'tally.json');
const run = spawnSync(
  process.execPath,
  ['node_modules/vitest/vitest.mjs', 'run', '--reporter=default', '--reporter=./scripts/tally-reporter.mjs', ...process.argv.slice(2)],
  { stdio: 'inherit', env: { ...process.env, LAKEPROBE_TALLY_FILE: tallyFile } },
);
let code = run.status ?? 1;
try {
  const t = JSON.parse(readFileSync(tallyFile, 'utf8'));
  if (t.failedSuites.length > 0) {
    console.log('\nsuites that failed outside their tests:');
    for (const s of t.failedSuites) {
      const where = s.suite ? `${s.file} > ${s.suite}` : s.file;
      console.log(`  FAIL ${where}${s.tests ? ` (${s.tests} tests not run)` : ''}: ${s.message}`);
    }
  }
  if (t.missingTools.length > 0) {
    const verdict = process.env.CI === 'true' ? 'counted as failed (CI=true)' : 'skipped';
    console.log(`\nmissing tools, their tests ${verdict}: ${t.missingTools.join('; ')}`);
    console.log('install them with: sudo bash scripts/install-debian-packages.sh');
  }
  const total = t.passed + t.failed + t.skipped;
  const skippedFor = t.skippedForTools > 0 ? ` (${t.skippedForTools} for missing tools)` : '';
  console.log(`\ntests: ${t.passed} passed, ${t.failed} failed${t.skipped ? `, ${t.skipped} skipped${skippedFor}` : ''}`);
  if (total === 0 || t.failed > 0) code = code || 1;
} catch {
  console.log('\ntests: 0 passed, 1 failed');
  code = code || 1;
}
rmSync(dir, { recursive: true, force: true });
process.exit(code);
