// Vitest reporter behind the closing line of scripts/run-tests.mjs. Vitest marks the
// tests of a suite whose beforeAll threw as "skipped"; here they are failures, and so is
// a file that failed to load or a suite whose afterAll threw. Writes its tally as JSON to
// the file named by LAKEPROBE_TALLY_FILE.
import { writeFileSync } from 'node:fs';
import { relative } from 'node:path';

/** Suite-name prefix test/helpers/tools.ts gives a suite skipped for a missing tool. */
export const MISSING_TOOL_MARK = 'missing tool:';
const MAX_LISTED = 50;

function firstLine(errors) {
  const message = errors?.[0]?.message ?? 'error';
  return String(message).split('\n')[0].slice(0, 300);
}

/** Nearest suite (or module) above `test` that has errors of its own, i.e. a failed hook. */
function brokenAncestor(test) {
  for (let node = test.parent; node; node = node.type === 'module' ? undefined : node.parent) {
    if (node.errors().length > 0) return node;
  }
  return undefined;
}

function missingToolNote(test) {
  for (let node = test.parent; node && node.type === 'suite'; node = node.parent) {
    if (node.name.startsWith(MISSING_TOOL_MARK)) return node.name.slice(MISSING_TOOL_MARK.length).trim();
  }
  return undefined;
}

export default class TallyReporter {
  onTestRunEnd(testModules, unhandledErrors) {
    const ci = process.env.CI === 'true';
    const tally = { passed: 0, failed: 0, skipped: 0, skippedForTools: 0, failedSuites: [], missingTools: [], unhandledErrors: unhandledErrors.length };
    for (const module of testModules) {
      const file = relative(process.cwd(), module.moduleId);
      const blamed = new Map();
      for (const test of module.children.allTests()) {
        const state = test.result().state;
        if (state === 'passed') tally.passed++;
        else if (state === 'failed') tally.failed++;
        else {
          const broken = test.options.mode === 'run' || test.options.mode === 'only' ? brokenAncestor(test) : undefined;
          const tool = missingToolNote(test);
          if (broken) {
            tally.failed++;
            blamed.set(broken, (blamed.get(broken) ?? 0) + 1);
          } else if (tool !== undefined) {
            if (ci) tally.failed++;
            else {
              tally.skipped++;
              tally.skippedForTools++;
            }
            if (!tally.missingTools.includes(tool)) tally.missingTools.push(tool);
          } else tally.skipped++;
        }
      }
      // Suites with errors of their own: a failed beforeAll (its tests counted above), a
      // failed afterAll or a file that did not load (one failure each).
      const nodes = [module, ...module.children.allSuites()];
      for (const node of nodes) {
        if (node.errors().length === 0) continue;
        const tests = blamed.get(node) ?? 0;
        if (tests === 0) tally.failed++;
        if (tally.failedSuites.length < MAX_LISTED) {
          tally.failedSuites.push({ file, suite: node.type === 'module' ? '' : node.fullName, tests, message: firstLine(node.errors()) });
        }
      }
    }
    tally.failed += unhandledErrors.length;
    const out = process.env.LAKEPROBE_TALLY_FILE;
    if (out) writeFileSync(out, JSON.stringify(tally));
  }
}
