import { spawn } from 'node:child_process';
import { resolve } from 'node:path';

/** Starts a process that records a run's start and two results, waits until it has, and kills it (SIGKILL). */
export async function killedRun(db: string): Promise<void> {
  const child = spawn(process.execPath, ['--import', 'jiti/register', resolve('test/results/fixtures/record-then-hang.ts'), db], { stdio: ['ignore', 'pipe', 'pipe'] });
  let stderr = '';
  child.stderr.on('data', (d: Buffer) => { stderr += d.toString(); });
  await new Promise<void>((done, fail) => {
    child.stdout.on('data', (d: Buffer) => { if (d.toString().includes('recorded')) done(); });
    child.on('exit', (code) => fail(new Error(`recorder exited (${code}) before recording: ${stderr}`)));
  });
  const exited = new Promise((done) => child.on('exit', done));
  child.kill('SIGKILL');
  await exited;
}
