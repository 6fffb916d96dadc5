// Any URL gfal2 speaks (davs://, https://, root://, ...) through gfal2-util:
//   put       gfal-copy -f -p file://<spooled body> <url>
//   get       gfal-cat -b <url>                          (streamed from stdout)
//   stat      gfal-stat <url>
//   delete    gfal-rm <url>
//   mkdir     gfal-mkdir -p <url>
//   checksum  gfal-sum <url> ADLER32|MD5
// Uploads are spooled to a private temp file first (disk, never memory), because no
// streaming path of gfal2 2.21 is safe: gfal-copy takes the size from stat() of its
// source, so stdin or a FIFO is uploaded as 0 bytes and reported as success; gfal-save
// decodes stdin as text; and gfal2's own write API over HTTP neither overwrites nor
// reports a refused PUT (gfal2_close succeeds). gfal-copy reports failures as users see them.
import { createWriteStream } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { exactLength } from '../data/exact-length.js';
import { StorageError } from '../errors.js';
import type { PutBody } from './davs.js';
import type { ChecksumAlgorithm, StatResult, StorageAuth, StorageDriver } from './driver.js';
import { ToolDriver } from './tool-driver.js';
import {
  readFromTool, runTool, toolChecksum, toolError, type ToolDriverOptions, type ToolResult,
} from './tool.js';

export interface GfalDriverOptions extends ToolDriverOptions {
  /** The Python that has the gfal2 module (GFAL_PYTHONBIN); default /usr/bin/python3. */
  pythonBin?: string;
  /** Where uploads are spooled; needs room for the largest file. Default: the system temp directory. */
  spoolDir?: string;
}

const ALGORITHM_NAMES: Record<ChecksumAlgorithm, string> = { adler32: 'ADLER32', md5: 'MD5' };
const GFAL_ERROR = /^gfal-\S+ error:/m;

export class GfalDriver extends ToolDriver implements StorageDriver {
  readonly protocol = 'gfal' as const;

  constructor(auth: StorageAuth, protected override readonly options: GfalDriverOptions = {}) {
    // The python on PATH may lack the gfal2 module.
    super(auth, options, false, { GFAL_PYTHONBIN: options.pythonBin ?? '/usr/bin/python3' });
  }

  async put(url: string, body: PutBody, size: number): Promise<void> {
    const stream = typeof body === 'function' ? body() : body;
    const spoolDir = await mkdtemp(join(this.options.spoolDir ?? tmpdir(), 'lakeprobe-spool-'));
    try {
      const spooled = join(spoolDir, 'body');
      const guard = exactLength(size, (detail) => new StorageError(0, 'PUT', this.redact(url), detail));
      await pipeline(stream, guard, createWriteStream(spooled, { mode: 0o600 }));
      // -v logs (to stdout) the transfer's own failure, which the final message hides behind the cleanup's
      // ("Copy failed with mode streamed: HTTP 403" ... then "gfal-copy error: 2 ... unlink ... 404").
      await this.withCall('PUT', url, 'gfal-copy', [...this.common(), '-v', '-f', '-p', `file://${spooled}`, url], async (call) => {
        const result = await runTool(call);
        if (result.exitCode === 0 && !GFAL_ERROR.test(result.stderr)) return;
        const cause = /Copy failed with mode \w+: (.*)$/m.exec(`${result.stderr}\n${result.stdout}`)?.[1];
        throw toolError(call, cause ? { ...result, stderr: `gfal-copy error: ${cause}` } : result);
      });
    } finally {
      stream.destroy();
      await rm(spoolDir, { recursive: true, force: true });
    }
  }

  async get(url: string): Promise<Readable> {
    const creds = await this.credentials('GET', url);
    try {
      // gfal-cat exits 0 even when it fails: its stderr tells.
      const failed = (result: ToolResult): boolean => result.exitCode !== 0 || GFAL_ERROR.test(result.stderr);
      return await readFromTool(this.call('GET', url, 'gfal-cat', [...this.common(), '-b', url], creds), failed, creds.dispose);
    } catch (error) {
      await creds.dispose();
      throw this.refusal(error, creds);
    }
  }

  async stat(url: string): Promise<StatResult | null> {
    return this.withCall('STAT', url, 'gfal-stat', [...this.common(), url], async (call) => {
      const result = await runTool(call);
      if (result.exitCode !== 0 || GFAL_ERROR.test(result.stderr)) {
        const error = toolError(call, result);
        if (error.status === 404) return null;
        throw error;
      }
      const line = /^\s*Size:\s*(\d+)\s+(.*)$/m.exec(result.stdout);
      if (!line) throw new StorageError(0, 'STAT', this.redact(url), `unexpected gfal-stat answer '${result.stdout.trim().slice(0, 80)}'`);
      return { size: Number(line[1]), isDirectory: /directory/i.test(line[2]!) };
    });
  }

  async delete(url: string): Promise<void> {
    await this.query('DELETE', url, 'gfal-rm', [url]);
  }

  /** Creates the directory and any missing parents; an existing one is fine. */
  async mkdir(url: string): Promise<void> {
    await this.query('MKDIR', url, 'gfal-mkdir', ['-p', url]);
  }

  async checksum(url: string, algorithm: ChecksumAlgorithm): Promise<string> {
    const result = await this.query('CHECKSUM', url, 'gfal-sum', [url, ALGORITHM_NAMES[algorithm]]);
    return toolChecksum(result.stdout.trim().split(/\s+/).at(-1), algorithm, this.redact(url), result.stdout);
  }

  /** Runs a gfal command that must succeed. */
  private query(method: string, url: string, command: string, args: string[]): Promise<ToolResult> {
    return this.withCall(method, url, command, [...this.common(), ...args], async (call) => {
      const result = await runTool(call);
      if (result.exitCode !== 0 || GFAL_ERROR.test(result.stderr)) throw toolError(call, result);
      return result;
    });
  }

  /** TLS verification off only when the plan says so. Timeouts are ours (see tool.ts), not gfal's `-t`. */
  private common(): string[] {
    return this.auth.insecure ? ['-D', 'HTTP PLUGIN:INSECURE=true'] : [];
  }




}
