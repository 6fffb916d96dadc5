// XRootD (Rucio scheme 'root') through the XRootD client tools:
//   put       xrdcp --force --posc --silent - <url>          (body streamed into stdin)
//   get       xrdcp --silent <url> -                         (streamed from stdout)
//   stat      xrdfs <scheme>://<host> stat <path>
//   delete    xrdfs <scheme>://<host> rm <path>
//   mkdir     xrdfs <scheme>://<host> mkdir -p <path>
//   checksum  xrdfs <scheme>://<host> query checksum <path>[?cks.type=md5]
//   stats     xrdfs <scheme>://<host> query stats a              (the server's own summary, XML)
// Identity: a proxy via X509_USER_PROXY (gsi) or a token via BEARER_TOKEN (ztn); see
// tool-credentials.ts. xrdcp creates missing parent directories itself. `auth.insecure` has
// no effect: XrdCl 5.5 has no switch to skip verifying the server's TLS certificate. A bare
// "TLS error" from the tools is followed by a look at the server's certificate, so an
// expired or untrusted host certificate is named (server-certificate.ts).
import type { Readable } from 'node:stream';
import { loadTrustAnchors } from '../credentials/trust.js';
import { StorageError } from '../errors.js';
import type { PutBody } from './davs.js';
import type { ChecksumAlgorithm, StatResult, StorageAuth, StorageDriver } from './driver.js';
import { explainRootServerCertificate } from './server-certificate.js';
import { ToolDriver } from './tool-driver.js';
import {
  readFromTool, redactUrl, runTool, toolChecksum, toolError, writeToTool, type ToolCall, type ToolDriverOptions, type ToolResult,
} from './tool.js';

interface RootUrl {
  /** `root://host:port`, as xrdfs takes it (no user info). */
  server: string;
  /** Path with any CGI, e.g. `//store/file?authz=...`. */
  path: string;
}

function parseRootUrl(url: string, method: string): RootUrl {
  const match = /^((?:x?roots?):\/\/)(?:[^/@]*@)?([^/?#]+)(\/[^#]*)?$/i.exec(url);
  if (!match) throw new StorageError(0, method, redactUrl(url, []), 'not a root:// or roots:// URL');
  return { server: `${match[1]!.toLowerCase()}${match[2]!}`, path: match[3] ?? '/' };
}

const withCgi = (path: string, cgi: string): string => `${path}${path.includes('?') ? '&' : '?'}${cgi}`;

export class RootDriver extends ToolDriver implements StorageDriver {
  readonly protocol = 'root' as const;

  constructor(auth: StorageAuth, options: ToolDriverOptions = {}) {
    super(auth, options, true);
  }

  async put(url: string, body: PutBody, size: number): Promise<void> {
    const stream = typeof body === 'function' ? body() : body;
    // --posc: a transfer that does not close cleanly leaves no partial file behind.
    await this.withCall('PUT', url, 'xrdcp', ['--force', '--posc', '--silent', '-', url], async (call) => {
      const result = await writeToTool(call, stream, size);
      if (result.exitCode !== 0) throw toolError(call, result);
    }).catch((error: unknown) => {
      stream.destroy();
      throw error;
    });
  }

  async get(url: string): Promise<Readable> {
    const creds = await this.credentials('GET', url);
    try {
      return await readFromTool(this.call('GET', url, 'xrdcp', ['--silent', url, '-'], creds),
        (result) => result.exitCode !== 0, creds.dispose);
    } catch (error) {
      await creds.dispose();
      throw this.refusal(await this.explained(error, 'GET', url), creds);
    }
  }

  protected override withCall<T>(method: string, url: string, command: string, args: string[], run: (call: ToolCall) => Promise<T>): Promise<T> {
    return super.withCall(method, url, command, args, run).catch(async (error: unknown) => Promise.reject(await this.explained(error, method, url)));
  }

  /** A bare TLS failure of the tools, explained by the server's certificate when that is what failed. */
  private async explained(error: unknown, method: string, url: string): Promise<unknown> {
    const ca = this.auth.ca.length > 0 || !this.options.certDir ? this.auth.ca : await loadTrustAnchors(this.options.certDir).catch(() => []);
    return explainRootServerCertificate(error, method, url, this.redact(url), ca);
  }

  async stat(url: string): Promise<StatResult | null> {
    const { server, path } = parseRootUrl(url, 'STAT');
    return this.withCall('STAT', url, 'xrdfs', [server, 'stat', path], async (call) => {
      const result = await runTool(call);
      if (result.exitCode !== 0) {
        const error = toolError(call, result);
        if (error.status === 404) return null;
        throw error;
      }
      const size = /^Size:\s*(\d+)/m.exec(result.stdout);
      const flags = /^Flags:.*$/m.exec(result.stdout)?.[0] ?? '';
      return { size: size ? Number(size[1]) : 0, isDirectory: /\bIsDir\b/.test(flags) };
    });
  }

  async delete(url: string): Promise<void> {
    const { server, path } = parseRootUrl(url, 'DELETE');
    await this.query('DELETE', url, [server, 'rm', path]);
  }

  /** Creates the directory and any missing parents; an existing one is fine. */
  async mkdir(url: string): Promise<void> {
    const { server, path } = parseRootUrl(url, 'MKDIR');
    await this.query('MKDIR', url, [server, 'mkdir', '-p', path]);
  }

  /** The server's stored or computed checksum ("adler32 0a1b2c3d" from xrdfs). */
  async checksum(url: string, algorithm: ChecksumAlgorithm): Promise<string> {
    const { server, path } = parseRootUrl(url, 'CHECKSUM');
    const target = algorithm === 'adler32' ? path : withCgi(path, `cks.type=${algorithm}`);
    const result = await this.query('CHECKSUM', url, [server, 'query', 'checksum', target]);
    const [name, value] = result.stdout.trim().split(/\s+/);
    // A server without the algorithm configured may answer with another one.
    return toolChecksum(name?.toLowerCase() === algorithm ? value : undefined, algorithm, this.redact(url), result.stdout);
  }

  /** The server's own summary statistics (kXR_query stats, all sections) as the XML it sends. */
  async serverStats(url: string): Promise<string> {
    const { server } = parseRootUrl(url, 'STATS');
    return (await this.query('STATS', url, [server, 'query', 'stats', 'a'])).stdout;
  }

  /** Runs an xrdfs command that must succeed. */
  private query(method: string, url: string, args: string[]): Promise<ToolResult> {
    return this.withCall(method, url, 'xrdfs', args, async (call) => {
      const result = await runTool(call);
      if (result.exitCode !== 0) throw toolError(call, result);
      return result;
    });
  }
}
