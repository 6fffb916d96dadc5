// Any URL gfal2 speaks (davs://, https://, root://, ...) through gfal2-util:
//   get       gfal-cat -b <url>                              (streamed from stdout)
//   stat      gfal-stat <url>
//   delete    gfal-rm <url>
//   mkdir     gfal-mkdir -p <url>
//   checksum  gfal-sum <url> ADLER32|MD5
//   put       $GFAL_PYTHONBIN -c <SAVE_SCRIPT> <url> <size>  (body streamed into stdin)
// Uploads cannot use gfal-copy: it takes the size from stat() of the source, so stdin or a
// FIFO is uploaded as 0 bytes (and it reports success), and gfal-save decodes stdin as
// text. The script below is gfal-save made binary-safe, with the same gfal2 bindings
// gfal2-util runs on: the body streams through in 1 MiB pieces, never a whole file.
import type { Readable } from 'node:stream';
import { StorageError } from '../errors.js';
import type { PutBody } from './davs.js';
import type { ChecksumAlgorithm, StatResult, StorageAuth, StorageDriver } from './driver.js';
import { prepareToolCredentials, type ToolCredentials } from './tool-credentials.js';
import {
  readFromTool, redactUrl, runTool, toolError, writeToTool, type ToolCall, type ToolDriverOptions, type ToolResult,
  xrootdClientEnv,
} from './tool.js';

export interface GfalDriverOptions extends ToolDriverOptions {
  /** The Python that has the gfal2 module (GFAL_PYTHONBIN); default /usr/bin/python3. */
  pythonBin?: string;
}

// Errors are printed like gfal2-util's ("gfal-save error: <errno> (<text>) - <message>").
// The final stat catches a write that failed when the file was closed, which gfal2's
// Python file objects (no close()) do not report.
const SAVE_SCRIPT = `
import errno, os, sys
def fail(code, message):
    sys.stderr.write('gfal-save error: %d (%s) - %s\\n' % (code, os.strerror(code), message))
    sys.stderr.flush()
    os._exit(1)
try:
    import gfal2
except ImportError:
    fail(errno.ENOENT, 'gfal2 Python bindings not installed (Debian package python3-gfal2)')
url, size, insecure = sys.argv[1], int(sys.argv[2]), sys.argv[3] == 'insecure'
try:
    ctx = gfal2.creat_context()
    if insecure:
        ctx.set_opt_boolean('HTTP PLUGIN', 'INSECURE', True)
    try:
        f = ctx.open(url, 'w')
    except gfal2.GError as e:
        if e.code != errno.ENOENT:
            raise
        ctx.mkdir_rec(url.rsplit('/', 1)[0], 0o755)
        f = ctx.open(url, 'w')
    while True:
        chunk = sys.stdin.buffer.read(1048576)
        if not chunk:
            break
        f.write(chunk)
    del f
    stored = ctx.stat(url).st_size
    if stored != size:
        fail(errno.EIO, 'stored size %d differs from the %d bytes sent' % (stored, size))
except gfal2.GError as e:
    fail(e.code, e.message)
`;

const ALGORITHM_NAMES: Record<ChecksumAlgorithm, string> = { adler32: 'ADLER32', md5: 'MD5' };
const GFAL_ERROR = /^gfal-\S+ error:/m;

export class GfalDriver implements StorageDriver {
  readonly protocol = 'gfal' as const;
  private readonly timeoutMs: number;
  private readonly pythonBin: string;

  constructor(
    private readonly auth: StorageAuth,
    private readonly options: GfalDriverOptions = {},
  ) {
    this.timeoutMs = options.timeoutMs ?? 60_000;
    this.pythonBin = options.pythonBin ?? '/usr/bin/python3';
  }

  async put(url: string, body: PutBody, size: number): Promise<void> {
    const stream = typeof body === 'function' ? body() : body;
    const args = ['-c', SAVE_SCRIPT, url, String(size), this.auth.insecure ? 'insecure' : 'verify'];
    await this.withCall('PUT', url, this.pythonBin, args, async (call) => {
      const result = await writeToTool(call, stream, size);
      if (result.exitCode !== 0) throw toolError(call, result);
    }).catch((error: unknown) => {
      stream.destroy();
      throw error;
    });
  }

  async get(url: string): Promise<Readable> {
    const creds = await this.credentials();
    try {
      // gfal-cat exits 0 even when it fails: its stderr tells.
      const failed = (result: ToolResult): boolean => result.exitCode !== 0 || GFAL_ERROR.test(result.stderr);
      return await readFromTool(this.call('GET', url, 'gfal-cat', [...this.common(), '-b', url], creds), failed, creds.dispose);
    } catch (error) {
      await creds.dispose();
      throw error;
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
    const value = result.stdout.trim().split(/\s+/).at(-1) ?? '';
    if (!/^[0-9a-f]+$/i.test(value)) {
      throw new StorageError(0, 'CHECKSUM', this.redact(url), `no ${algorithm} checksum in the answer '${result.stdout.trim().slice(0, 80)}'`);
    }
    return value.toLowerCase().padStart(algorithm === 'adler32' ? 8 : 32, '0');
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

  private async withCall<T>(method: string, url: string, command: string, args: string[], run: (call: ToolCall) => Promise<T>): Promise<T> {
    const creds = await this.credentials();
    try {
      return await run(this.call(method, url, command, args, creds));
    } finally {
      await creds.dispose();
    }
  }

  private credentials(): Promise<ToolCredentials> {
    return prepareToolCredentials(this.auth, { certDir: this.options.certDir });
  }

  private call(method: string, url: string, command: string, args: string[], creds: ToolCredentials): ToolCall {
    return {
      command, args, method,
      // The python on PATH may lack the gfal2 module.
      env: { ...creds.env, ...xrootdClientEnv(this.timeoutMs, creds.kind), GFAL_PYTHONBIN: this.pythonBin },
      url: this.redact(url),
      secrets: creds.secrets,
      toolDir: this.options.toolDir,
      timeoutMs: this.timeoutMs,
    };
  }

  private redact(url: string): string {
    return redactUrl(url, this.auth.token ? [this.auth.token.token] : []);
  }
}
