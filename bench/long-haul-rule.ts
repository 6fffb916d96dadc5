// Time from rule creation to OK for a file replicated over an emulated long-haul
// link (default: AARNET-like source, 300 ms RTT, 100 Mbit/s), through the real
// replicate scenario against the sandbox lake.
// Usage: node dist/bench/long-haul-rule.js [size=100MB] [rtt_ms=300] [mbit=100] [storage=builtin|xrootd]
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startSandboxLake } from '../src/sandbox/lake.js';
import { parseSandboxConfig } from '../src/sandbox/sandbox-config.js';
import { runJob } from '../src/job.js';
import { builtinScenarios } from '../src/scenarios.js';
import { formatBytes, parseSize } from '../src/engine/sizes.js';

const size = parseSize(process.argv[2] ?? '100MB');
const rttMs = Number(process.argv[3] ?? 300);
const mbit = Number(process.argv[4] ?? 100);
const storage = (process.argv[5] ?? 'builtin') as 'builtin' | 'xrootd';

const dir = await mkdtemp(join(tmpdir(), 'lakeprobe-longhaul-'));
const config = parseSandboxConfig(`
storage: ${storage}
rses:
  - { name: AARNET-DISK, attributes: { QOS: SAFE } }
  - { name: IDIA-DISK, attributes: { QOS: FAST } }
links:
  - { from: AARNET-DISK, to: IDIA-DISK, rtt_ms: ${rttMs}, bandwidth_mbit: ${mbit} }
transfers: { poll_ms: 200 }
`, 'bench');
const lake = await startSandboxLake({ dir: join(dir, 'sandbox'), config });
try {
  const planFile = join(dir, 'plan.yaml');
  await writeFile(planFile, `
name: long-haul
lake: { sandbox: true }
experiments:
  - name: SKAO
    tests:
      - name: long-haul
        scenario: replicate
        auth: [token]
        params: { size: ${size}, pairs: [{ from: AARNET-DISK, to: IDIA-DISK }], poll_seconds: 0.25, timeout_seconds: 1800 }
`);
  const result = await runJob({
    planFile, env: { ...process.env, ...lake.env }, uid: process.getuid?.() ?? 0, registry: builtinScenarios(),
    dbPath: join(dir, 'r.db'), outDir: join(dir, 'reports'), reporters: [], log: () => {},
  });
  const row = result.reports[0]?.report.rows.find((r) => r.operation === 'replicate');
  const link = lake.links.link('AARNET-DISK', 'IDIA-DISK');
  const seconds = (row?.p50Ms ?? 0) / 1000;
  const ideal = (size * 8) / (mbit * 1e6);
  console.log(`storage:                    ${storage}`);
  console.log(`link AARNET-DISK → IDIA-DISK: ${rttMs} ms RTT, ${mbit} Mbit/s`);
  console.log(`file:                       ${formatBytes(size)} (${size} bytes)`);
  console.log(`rule creation → OK:         ${row && row.failures === 0 ? `${seconds.toFixed(2)} s` : 'FAILED'}`);
  console.log(`  wire time at link rate:   ${ideal.toFixed(2)} s (${((ideal / seconds) * 100).toFixed(0)} % of the total)`);
  console.log(`  effective rate:           ${((size * 8) / seconds / 1e6).toFixed(1)} Mbit/s`);
  console.log(`bytes through the link:     ${formatBytes(link?.stats().bytesDown ?? 0)} down, ${formatBytes(link?.stats().bytesUp ?? 0)} up`);
  console.log(`operations:                 ${result.summary.total}, failed ${result.summary.failed}`);
  process.exitCode = result.summary.failed === 0 ? 0 : 1;
} finally {
  await lake.stop();
  await rm(dir, { recursive: true, force: true });
}
