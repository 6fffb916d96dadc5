// What the command-line storage drivers (root via xrdcp/xrdfs, gfal via gfal2-util)
// share: per-call credentials in a private temp dir, the tool's environment, and
// redaction of the token from URLs in messages.
import { annotateTokenRefusal } from '../credentials/token-refusal.js';
import type { StorageAuth } from './driver.js';
import { prepareToolCredentials, withToolCredentials, type ToolCredentialOptions, type ToolCredentials } from './tool-credentials.js';
import { OVERWRITE, REMOVE } from '../credentials/operation-scope.js';
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

  /** Credentials for one call of `method` on `url` (its own token when the session asks per operation). */
  protected credentials(method: string, url: string): Promise<ToolCredentials> {
    return prepareToolCredentials(this.auth, this.credentialOptions(method, url));
  }

  /** The tools look a path up before they write or remove it, and replace an existing file (see operation-scope.ts). */
  private credentialOptions(method: string, url: string): ToolCredentialOptions {
    const scoped = method === 'PUT' ? OVERWRITE : method === 'DELETE' ? REMOVE : method;
    return { certDir: this.options.certDir, proxyOnly: this.proxyOnly, target: { url, method: scoped } };
  }

  /** Runs one tool call with credentials that are removed afterwards. */
  protected withCall<T>(method: string, url: string, command: string, args: string[], run: (call: ToolCall) => Promise<T>): Promise<T> {
    return withToolCredentials(this.auth, this.credentialOptions(method, url),
      (creds) => run(this.call(method, url, command, args, creds)).catch((error: unknown) => Promise.reject(this.refusal(error, creds))));
  }

  /** A refusal names the token this call presented (its own, per operation), not the session's. */
  protected refusal(error: unknown, creds: ToolCredentials): unknown {
    return creds.token && this.auth.tokenFor ? annotateTokenRefusal(error, creds.token) : error;
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
