// The built command line as a user runs it: a child process, its exit code and both streams.
import { spawn } from 'node:child_process';
import { resolve } from 'node:path';

export const BIN = resolve('dist/src/cli/bin.js');

export interface CliOutcome {
  code: number;
  stdout: string;
  stderr: string;
}

/** Runs `lakeprobe ARGS` to its end (env: the whole environment the child gets; default the test's own). */
export function runCli(args: string[], opts: { cwd?: string; env?: NodeJS.ProcessEnv } = {}): Promise<CliOutcome> {
  return new Promise((done, fail) => {
    const child = spawn(process.execPath, [BIN, ...args], { cwd: opts.cwd, env: opts.env ?? process.env, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => { stdout += d.toString(); });
    child.stderr.on('data', (d: Buffer) => { stderr += d.toString(); });
    child.on('error', fail);
    child.on('close', (code) => done({ code: code ?? -1, stdout, stderr }));
  });
}
