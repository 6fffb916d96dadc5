// A real PostgreSQL for coordination tests: Debian's server binaries, its own temp data
// dir, listening on loopback only on a free port, trust auth for loopback connections.
// initdb refuses to run as root, so under root the server runs as the `postgres` user.
import { execFile } from 'node:child_process';
import { chownSync, existsSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';

const run = promisify(execFile);

export const PG_BIN = process.env.LAKEPROBE_PG_BIN ?? '/usr/lib/postgresql/15/bin';
export const havePostgres = (): boolean => existsSync(join(PG_BIN, 'initdb')) && existsSync(join(PG_BIN, 'pg_ctl'));

export interface TestPostgres {
  url: string;
  stop(): Promise<void>;
}

async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const { port } = s.address() as { port: number };
      s.close(() => resolve(port));
    });
  });
}

export async function startPostgres(): Promise<TestPostgres> {
  const dir = await mkdtemp(join(tmpdir(), 'lakeprobe-pgcoord-'));
  const asRoot = process.getuid?.() === 0;
  if (asRoot) {
    const { stdout } = await run('id', ['-u', 'postgres']);
    const { stdout: gid } = await run('id', ['-g', 'postgres']);
    chownSync(dir, Number(stdout.trim()), Number(gid.trim()));
  }
  const as = (cmd: string, args: string[]): Promise<{ stdout: string }> =>
    asRoot ? run('runuser', ['-u', 'postgres', '--', join(PG_BIN, cmd), ...args], { timeout: 120_000 }) : run(join(PG_BIN, cmd), args, { timeout: 120_000 });
  const data = join(dir, 'data');
  await as('initdb', ['-D', data, '-U', 'lakeprobe', '--auth=trust', '-E', 'UTF8', '--no-sync']);
  const port = await freePort();
  const options = `-c listen_addresses=127.0.0.1 -c port=${port} -c unix_socket_directories=${dir} -c fsync=off -c max_connections=50`;
  await as('pg_ctl', ['-D', data, '-o', options, '-l', join(dir, 'log'), '-w', '-t', '60', 'start']);
  await as('createdb', ['-h', '127.0.0.1', '-p', String(port), '-U', 'lakeprobe', 'lakeprobe']);
  return {
    url: `postgresql://lakeprobe@127.0.0.1:${port}/lakeprobe`,
    stop: async () => {
      await as('pg_ctl', ['-D', data, '-m', 'immediate', '-w', 'stop']).catch(() => {});
      await rm(dir, { recursive: true, force: true });
    },
  };
}
