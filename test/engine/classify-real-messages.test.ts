import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { classify } from '../../src/engine/classify.js';
import { ERROR_CLASSES } from '../../src/engine/taxonomy.js';

// An outside yardstick: error strings of XRootD, Rucio, IAM, FTS, gfal2, davix, dCache and
// StoRM, copied from their sources, each with the class a site admin needs to act on it.
const FILE = 'test/fixtures/error-messages/real-messages.tsv';
const HEADER = 'expected_class\trepository\tpath\tmessage';

interface Row { line: number; expected: string; repository: string; path: string; message: string }

function readTable(): Row[] {
  const lines = readFileSync(FILE, 'utf8').split('\n');
  const rows: Row[] = [];
  let header = false;
  lines.forEach((text, i) => {
    if (text === '' || text.startsWith('#')) return;
    if (!header) {
      if (text !== HEADER) throw new Error(`${FILE}:${i + 1}: expected the header "${HEADER}"`);
      header = true;
      return;
    }
    const [expected, repository, path, message, ...rest] = text.split('\t');
    if (!expected || !repository || !path || !message || rest.length) throw new Error(`${FILE}:${i + 1}: expected 4 tab-separated fields`);
    rows.push({ line: i + 1, expected, repository, path, message });
  });
  return rows;
}

const ROWS = readTable();

describe('classification of real error messages from the grid storage and catalogue stack', () => {
  it('holds at least 150 messages from every named project, each with a class of the taxonomy', () => {
    expect(ROWS.length).toBeGreaterThanOrEqual(150);
    const repositories = new Set(ROWS.map((r) => r.repository));
    for (const repo of ['xrootd/xrootd', 'rucio/rucio', 'indigo-iam/iam', 'cern-fts/fts3', 'cern-fts/gfal2', 'cern-fts/davix', 'dCache/dcache', 'italiangrid/storm']) {
      expect(repositories.has(repo), repo).toBe(true);
    }
    for (const r of ROWS) expect(Object.hasOwn(ERROR_CLASSES, r.expected), `${FILE}:${r.line}: class ${r.expected}`).toBe(true);
    expect(new Set(ROWS.map((r) => `${r.repository}\t${r.message}`)).size).toBe(ROWS.length);
  });

  it('gives every message its class (none left unknown)', () => {
    const wrong = ROWS
      .map((r) => ({ r, got: classify(new Error(r.message)).errorClass }))
      .filter(({ r, got }) => got !== r.expected)
      .map(({ r, got }) => `${FILE}:${r.line} ${r.repository} "${r.message}": expected ${r.expected}, got ${got}`);
    expect(wrong).toEqual([]);
  });
});
