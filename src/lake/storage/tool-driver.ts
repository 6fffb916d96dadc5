// What the command-line storage drivers (root via xrdcp/xrdfs, gfal via gfal2-util)
// share: per-call credentials in a private temp dir, the tool's environment, and
// redaction of the token from URLs in messages.
import type { StorageAuth } from './driver.js';
import { prepareToolCredentials, withToolCredentials, type ToolCredentials } from './tool-credentials.js';
import { redactUrl, xrootdClientEnv, type ToolCall, type ToolDriverOptions } from './tool.js';

export abstract class ToolDriver {
  protected readonly timeoutMs: number;

  constructor(
    protected readonly auth: StorageAuth,
    protected readonly options: ToolDriverOptions,
    /** gsi (root://) authenticates with an RFC 3820 proxy only. */
    private readonly proxyOnly: boolean,
    /** Extra environment for every call of this tool. */
    private readonly toolEnv: NodeJS.ProcessEnv = {},
  ) {
    this.timeoutMs = options.timeoutMs ?? 60_000;
  }

  protected credentials(): Promise<ToolCredentials> {
    return prepareToolCredentials(this.auth, { certDir: this.options.certDir, proxyOnly: this.proxyOnly });
  }

  /** Runs one tool call with credentials that are removed afterwards. */
  protected withCall<T>(method: string, url: string, command: string, args: string[], run: (call: ToolCall) => Promise<T>): Promise<T> {
    return withToolCredentials(this.auth, { certDir: this.options.certDir, proxyOnly: this.proxyOnly },
      (creds) => run(this.call(method, url, command, args, creds)));
  }

  protected call(method: string, url: string, command: string, args: string[], creds: ToolCredentials): ToolCall {
    return {
      command, args, method,
      env: { ...creds.env, ...xrootdClientEnv(this.timeoutMs, creds.kind), ...this.toolEnv },
      url: this.redact(url),
      secrets: creds.secrets,
      toolDir: this.options.toolDir,
      timeoutMs: this.timeoutMs,
    };
  }

  protected redact(url: string): string {
    return redactUrl(url, this.auth.token ? [this.auth.token.token] : []);
  }
}
