// One set of every secret a plan knows (passwords, tokens from files or the environment,
// private keys, and what sessions learn while they run), so that every line lakeprobe
// writes is redacted with all of them: a failure of one credential can quote another.
import type { ResolvedPlan } from '../plan/index.js';
import { envCredentialSources } from '../plan/env-credentials.js';
import {
  privateKeyFileSecretValues, tokenFileSecretValues, tokenSecretValues,
} from '../lake/credentials/index.js';
import { redact } from './redact.js';

/** At most this many values are kept: a set that grew without bound would slow every line. */
const MAX_SECRETS = 10_000;

export class SecretSet {
  private readonly own = new Set<string>();
  /** Live lists owned by sessions (they grow as a session loads more credentials). */
  private readonly followed = new Set<readonly string[]>();

  constructor(values: Iterable<string> = []) {
    this.add(...values);
  }

  add(...values: readonly string[]): this {
    for (const value of values) if (value && this.own.size < MAX_SECRETS) this.own.add(value);
    return this;
  }

  /** Redacts with the current contents of `list` too, whatever is added to it later. */
  follow(list: readonly string[]): this {
    this.followed.add(list);
    return this;
  }

  values(): string[] {
    const all = new Set(this.own);
    for (const list of this.followed) for (const value of list) if (value) all.add(value);
    return [...all];
  }

  redact(text: string): string {
    return redact(text, this.values());
  }

  /** `log`, with every line redacted first. */
  logger(log: (line: string) => void): (line: string) => void {
    return (line) => log(this.redact(line));
  }
}

/**
 * Every secret the plan's credentials hold: the userpass password, the bearer token (from
 * a file or a variable), the x509 private key. Read once at the start of a run, so a
 * message is redacted even of a credential whose session has not been opened.
 */
export async function planSecrets(plan: Pick<ResolvedPlan, 'credentials'>): Promise<string[]> {
  const { userpass, token, x509 } = plan.credentials;
  const values: string[] = [];
  if (userpass?.password) values.push(userpass.password);
  if (token && 'issued' in token) {
    // A token lakeprobe obtains: the client secret and the files of refresh and subject tokens are secrets too.
    const { clientSecret, refreshTokenFile, subjectTokenFile } = token.issued;
    values.push(clientSecret);
    for (const file of [refreshTokenFile, subjectTokenFile]) if (file) values.push(...(await tokenFileSecretValues(file)));
  } else if (token) values.push(...('file' in token ? await tokenFileSecretValues(token.file) : tokenSecretValues(token.value)));
  if (x509) values.push(...(await privateKeyFileSecretValues('proxy' in x509 ? x509.proxy : x509.key)));
  return values;
}

/** The secrets of the credentials the environment names by the grid conventions (BEARER_TOKEN, X509_USER_PROXY, …). */
export async function environmentSecrets(env: Record<string, string | undefined>, uid: number): Promise<string[]> {
  const { tokens, tokenFiles, keyFiles } = envCredentialSources(env, uid);
  const values = tokens.flatMap(tokenSecretValues);
  for (const file of tokenFiles) values.push(...(await tokenFileSecretValues(file)));
  for (const file of keyFiles) values.push(...(await privateKeyFileSecretValues(file)));
  return values;
}

/** A SecretSet of the plan's secrets. */
export async function planSecretSet(plan: Pick<ResolvedPlan, 'credentials'>): Promise<SecretSet> {
  return new SecretSet(await planSecrets(plan));
}
