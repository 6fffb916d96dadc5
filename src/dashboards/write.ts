import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { renderAlertRules } from './alerts.js';
import { renderDashboards } from './build.js';
import { DASHBOARDS } from './definitions.js';

export const ALERTS_FILE = 'lakeprobe-alerts.yaml';

/** Every generated file under dashboards/: the Grafana JSON and the alert rules. */
export function generatedFiles(): Map<string, string> {
  const files = renderDashboards(DASHBOARDS);
  files.set(ALERTS_FILE, renderAlertRules());
  return files;
}

/** Writes the generated files; returns which changed. */
export async function writeGenerated(outDir: string): Promise<{ written: string[]; unchanged: string[] }> {
  await mkdir(outDir, { recursive: true });
  const written: string[] = [];
  const unchanged: string[] = [];
  for (const [name, text] of generatedFiles()) {
    const path = join(outDir, name);
    const old = await readFile(path, 'utf8').catch(() => null);
    if (old === text) { unchanged.push(path); continue; }
    await writeFile(path, text);
    written.push(path);
  }
  return { written, unchanged };
}
