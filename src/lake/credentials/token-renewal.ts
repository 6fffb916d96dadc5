// Tokens lakeprobe obtains from an issuer itself, kept in memory only (never on disk)
// and renewed ahead of expiry. One live token per (issuer, client, grant, audience,
// scope) for the whole process, so `run`, `probe` and every daemon run share it, and
// its state (source, audience, scope, expiry, last renewal) feeds the status page.
import { createHash } from 'node:crypto';
import { CredentialError } from '../errors.js';
import { OAuthClient, type OAuthGrant, type TokenRequest } from './oauth.js';
import { readCredentialFile } from './read.js';
import { loadBearerToken } from './token.js';
import type { BearerToken } from './types.js';

export interface IssuedTokenSpec {
  issuer: string;
  clientId: string;
  /** Resolved from client_secret_file / client_secret_env; never printed. */
  clientSecret: string;
  grant: OAuthGrant;
  /** refresh_token grant: the file an outside agent (oidc-agent, IAM) keeps the refresh token in. */
  refreshTokenFile?: string;
  /** token_exchange grant: the file holding the token to exchange. */
  subjectTokenFile?: string;
  audience?: string;
  scope?: string;
  /** Renew this long before expiry (at most half the token's lifetime). */
  renewMarginSeconds: number;
  /** Storage requests ask for their own token (endpoint audience, least path scope); `audience`/`scope` serve the catalogue. */
  perOperation?: boolean;
}

/** What the status page and metrics show of one credential: never the token. */
export interface IssuedTokenState {
  source: string;
  issuer: string;
  clientId: string;
  grant: OAuthGrant;
  audience: string | null;
  scope: string | null;
  expiresAt: Date | null;
  lastRenewal: Date | null;
  renewals: number;
  lastError: string | null;
}

const MAX_LIVE_TOKENS = 64;
const MAX_REMEMBERED_SECRETS = 8;

/** A set that forgets its oldest values beyond a bound. */
class BoundedSet extends Set<string> {
  constructor(private readonly bound: number) {
    super();
  }

  override add(value: string): this {
    super.delete(value);
    super.add(value);
    if (this.size > this.bound) super.delete(this.values().next().value as string);
    return this;
  }
}
const live = new Map<string, LiveToken>();

class LiveToken {
  readonly token: BearerToken;
  readonly state: IssuedTokenState;
  private pending: Promise<void> | null = null;
  private obtainedAt = 0;
  /** A refresh token the issuer rotated in its answer wins over the file's. */
  private rotatedRefresh: string | null = null;
  private readonly listeners = new Set<(value: string) => void>();
  private readonly secretValues = new BoundedSet(MAX_REMEMBERED_SECRETS);

  constructor(private readonly spec: IssuedTokenSpec, private readonly client: OAuthClient, private readonly now: () => Date) {
    const source = `${spec.grant} at ${spec.issuer} as client ${spec.clientId}`;
    this.state = {
      source, issuer: spec.issuer, clientId: spec.clientId, grant: spec.grant, audience: spec.audience ?? null, scope: spec.scope ?? null,
      expiresAt: null, lastRenewal: null, renewals: 0, lastError: null,
    };
    this.token = {
      token: '', claims: null, expiresAt: null, source,
      requested: { audience: spec.audience ?? null, scope: spec.scope ?? null },
      renew: () => this.renew(),
    };
  }

  /** Called with each new token value (sessions add it to what they redact). */
  onValue(listener: (value: string) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /** Every secret value it handles (access, refresh and subject tokens) goes to the listeners' redaction. */
  private tell(value: string): void {
    this.secretValues.add(value);
    for (const listener of this.listeners) listener(value);
  }

  /** The secret values handled so far (bounded: the last few), for a new session's redaction. */
  secrets(): string[] {
    return [...this.secretValues];
  }

  private due(): boolean {
    const exp = this.token.expiresAt?.getTime();
    if (!this.token.token) return true;
    if (exp === undefined) return false;
    const margin = Math.min(this.spec.renewMarginSeconds * 1000, (exp - this.obtainedAt) / 2);
    return exp - this.now().getTime() <= margin;
  }

  renew(): Promise<void> {
    if (!this.due()) return Promise.resolve();
    this.pending ??= this.obtain().finally(() => {
      this.pending = null;
    });
    return this.pending;
  }

  private async obtain(): Promise<void> {
    const { spec } = this;
    const request: TokenRequest = {
      grant: spec.grant,
      ...(spec.audience ? { audience: spec.audience } : {}),
      ...(spec.scope ? { scope: spec.scope } : {}),
    };
    try {
      if (spec.grant === 'refresh_token') {
        request.refreshToken = this.rotatedRefresh ?? (await secretFile(spec.refreshTokenFile, 'credentials.token.refresh_token_file'));
        this.tell(request.refreshToken);
      }
      if (spec.grant === 'token_exchange') {
        request.subjectToken = await secretFile(spec.subjectTokenFile, 'credentials.token.subject_token_file');
        this.tell(request.subjectToken);
      }
      const answer = await this.client.request(request);
      if (answer.refreshToken && answer.refreshToken !== request.refreshToken) {
        this.rotatedRefresh = answer.refreshToken;
        this.tell(answer.refreshToken);
      }
      const loaded = await loadBearerToken({ value: answer.accessToken, source: this.state.source }, { now: this.now() });
      const at = this.now();
      const expiresAt = loaded.expiresAt ?? (answer.expiresIn !== null ? new Date(at.getTime() + answer.expiresIn * 1000) : null);
      Object.assign(this.token, { token: loaded.token, claims: loaded.claims, expiresAt });
      this.obtainedAt = at.getTime();
      Object.assign(this.state, { expiresAt, lastRenewal: at, renewals: this.state.renewals + 1, lastError: null });
      if (answer.scope !== null) this.state.scope = answer.scope;
      this.tell(loaded.token);
    } catch (err) {
      this.state.lastError = err instanceof Error ? err.message : String(err);
      throw err;
    }
  }
}

async function secretFile(path: string | undefined, field: string): Promise<string> {
  if (!path) throw new CredentialError('missing', field, 'not set');
  const value = (await readCredentialFile(path, true)).trim();
  if (!value) throw new CredentialError('invalid', path, 'is empty');
  return value;
}

export interface IssuedTokenOptions {
  ca: string[];
  insecure?: boolean;
  now?: () => Date;
}

/**
 * The live token for `spec`, obtained now if it has none or is due for renewal. The
 * returned object is renewed in place by its `renew()`, which every use calls first.
 */
export async function issuedToken(
  spec: IssuedTokenSpec,
  opts: IssuedTokenOptions,
  onValue?: (value: string) => void,
): Promise<{ token: BearerToken; unsubscribe: () => void }> {
  // The secret's digest in the key: a plan reload with a new secret gets a new client.
  const secret = createHash('sha256').update(spec.clientSecret).digest('hex');
  const key = JSON.stringify([spec.issuer, spec.clientId, secret, spec.grant, spec.audience, spec.scope, spec.refreshTokenFile, spec.subjectTokenFile]);
  let entry = live.get(key);
  if (!entry) {
    if (live.size >= MAX_LIVE_TOKENS) live.delete(live.keys().next().value as string);
    const client = new OAuthClient({ issuer: spec.issuer, clientId: spec.clientId, clientSecret: spec.clientSecret, ca: opts.ca, insecure: opts.insecure });
    entry = new LiveToken(spec, client, opts.now ?? (() => new Date()));
    live.set(key, entry);
  }
  const unsubscribe = onValue ? entry.onValue(onValue) : () => false;
  try {
    await entry.renew();
  } catch (err) {
    unsubscribe();
    throw err;
  }
  if (onValue) for (const value of entry.secrets()) onValue(value);
  return { token: entry.token, unsubscribe: () => void unsubscribe() };
}

/** The state of every live token, for the status page and metrics. */
export function issuedTokenStates(): IssuedTokenState[] {
  return [...live.values()].map((t) => ({ ...t.state }));
}

/** Forgets every live token (tests; a plan reload that changes credentials). */
export function forgetIssuedTokens(): void {
  live.clear();
}
