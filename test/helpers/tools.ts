// Suites that need an installed program (xrootd, the Pushgateway, chromium, ...). With
// every tool present the suite runs as usual. With one missing, under CI=true the suite is
// one failing test naming the tool and its Debian package; elsewhere its tests are skipped
// under a suite name scripts/tally-reporter.mjs recognises, and the closing line says so.
import { accessSync, constants } from 'node:fs';
import { delimiter, join } from 'node:path';
import { describe, it } from 'vitest';

/** A program a test runs, and the Debian package that ships it. */
export interface Tool {
  command: string;
  debianPackage: string;
}

/** Same prefix as MISSING_TOOL_MARK in scripts/tally-reporter.mjs. */
export const MISSING_TOOL_MARK = 'missing tool:';
export const INSTALL_COMMAND = 'sudo bash scripts/install-debian-packages.sh';

function executable(path: string): boolean {
  try {
    accessSync(path, constants.X_OK);
    return true;
  } catch {
    return false;
  }
}

/** Whether `command` (an absolute path, or a name looked up on PATH) can be run. */
export function toolPresent(command: string): boolean {
  if (command.includes('/')) return executable(command);
  return (process.env.PATH ?? '').split(delimiter).some((dir) => dir !== '' && executable(join(dir, command)));
}

/** "xrootd (Debian package xrootd-server)" for each tool that cannot be run. */
export function missingTools(tools: readonly Tool[]): string[] {
  return tools.filter((t) => !toolPresent(t.command)).map((t) => `${t.command} (Debian package ${t.debianPackage})`);
}

/** `describe(name, body)` when every tool is present; see the file comment otherwise. */
export function describeWithTools(tools: readonly Tool[], name: string, body: () => void): void {
  const missing = missingTools(tools);
  if (missing.length === 0) {
    describe(name, body);
  } else if (process.env.CI === 'true') {
    describe(name, () => {
      it(`has ${tools.map((t) => t.command).join(', ')} installed`, () => {
        throw new Error(`not installed: ${missing.join(', ')}; run ${INSTALL_COMMAND}`);
      });
    });
  } else {
    describe(`${MISSING_TOOL_MARK} ${missing.join(', ')}`, () => {
      describe.skip(name, body);
    });
  }
}
