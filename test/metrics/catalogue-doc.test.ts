import { readFile } from 'node:fs/promises';
import { describe, expect, it } from 'vitest';
import { METRICS } from '../../src/metrics/catalogue.js';
import { catalogueMarkdown, withCatalogue } from '../../src/metrics/catalogue-doc.js';

describe('the README metric catalogue', () => {
  it('is the table generated from src/metrics/catalogue.ts', async () => {
    const readme = await readFile('README.md', 'utf8');
    expect(withCatalogue(readme)).toBe(readme);
    expect(readme).toContain(catalogueMarkdown());
  });

  it('has one row per metric', () => {
    const rows = catalogueMarkdown().split('\n').slice(2);
    expect(rows).toHaveLength(Object.keys(METRICS).length);
    for (const m of Object.values(METRICS)) expect(rows.some((r) => r.startsWith(`| \`${m.name}\` | ${m.type} |`))).toBe(true);
  });
});
