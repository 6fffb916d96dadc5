// Gives the whole test run a HOME (and XDG folders) of its own: no test, and no tool a
// test starts (xrdcp's ~/.xrdcl, gfal2, chromium profiles), reads or writes the real one.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export default function setup(): () => void {
  const home = mkdtempSync(join(tmpdir(), 'lakeprobe-test-home-'));
  process.env.HOME = home;
  process.env.XDG_CONFIG_HOME = join(home, '.config');
  process.env.XDG_CACHE_HOME = join(home, '.cache');
  process.env.XDG_DATA_HOME = join(home, '.local', 'share');
  return () => rmSync(home, { recursive: true, force: true });
}
