// Which credentials the plan will use: what the plan names, else rucio.cfg, else the
// grid conventions (X509_USER_PROXY, WLCG bearer-token discovery). Files are only checked
// for readability here; src/lake/credentials loads and validates their content.
import { readFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import type { PathSegment } from './diagnostics.js';
import { fileProblem, unreadableReason } from './files.js';
import type { Findings } from './findings.js';
import type { ResolvedCredentials } from './resolved.js';
import { expandPath, type RucioCfg } from './rucio-cfg.js';
import { DEFAULT_PROXY_RENEW_MARGIN_SECONDS, DEFAULT_PROXY_RENEW_TIMEOUT_SECONDS } from '../lake/credentials/proxy-renewal.js';
import { DEFAULT_RENEW_MARGIN_SECONDS, type CredentialsSection } from './schema.js';

export interface CredentialScope {
  planDir: string;
  env: Record<string, string | undefined>;
  uid: number;
  cfg: RucioCfg | null;
  findings: Findings;
  /** A sandbox plan: the sandbox's own credentials (its env snippet) win over the user's. */
  sandbox?: boolean;
}

type Userpass = NonNullable<ResolvedCredentials['userpass']>;
type X509 = NonNullable<ResolvedCredentials['x509']>;
type Token = NonNullable<ResolvedCredentials['token']>;

export async function resolveCredentials(
  plan: CredentialsSection | undefined,
  scope: CredentialScope,
): Promise<ResolvedCredentials> {
  const [userpass, x509, token] = await Promise.all([
    resolveUserpass(plan?.userpass, scope),
    resolveX509(plan?.x509, scope),
    resolveToken(plan?.token, scope),
  ]);
  return { ...(userpass && { userpass }), ...(x509 && { x509 }), ...(token && { token }) };
}

async function resolveUserpass(
  plan: NonNullable<CredentialsSection['userpass']> | undefined,
  { planDir, env, cfg, findings }: CredentialScope,
): Promise<Userpass | undefined> {
  const cfgUser = cfg?.client.username;
  const cfgPassword = cfg?.client.password;
  if (!plan) {
    if (!cfg || !cfgUser || !cfgPassword) return undefined;
    findings.from('credentials.userpass', cfg.path);
    return { username: cfgUser, password: cfgPassword };
  }
  const at: PathSegment[] = ['credentials', 'userpass'];
  let username = plan.username;
  if (username === undefined && cfg && cfgUser) {
    username = cfgUser;
    findings.from('credentials.userpass.username', cfg.path);
  }
  if (username === undefined) findings.error([...at, 'username'], 'is required: set it here, or username in [client] of rucio.cfg');

  let password: string | undefined;
  if (plan.password_env !== undefined) {
    password = env[plan.password_env];
    if (!password) findings.error([...at, 'password_env'], `environment variable ${plan.password_env} is not set`);
  } else if (plan.password_file !== undefined) {
    const file = resolve(planDir, plan.password_file);
    try {
      password = (await readFile(file, 'utf8')).replace(/\r?\n$/, '');
      if (!password) findings.error([...at, 'password_file'], `${file} is empty`);
    } catch (err) {
      findings.error([...at, 'password_file'], `cannot read ${file}: ${fileProblem(err)}`);
    }
  } else if (cfg && cfgPassword) {
    password = cfgPassword;
    findings.from('credentials.userpass.password', cfg.path);
  } else {
    findings.error(at, 'no password: set password_env or password_file (or password in [client] of rucio.cfg)');
  }
  return username !== undefined && password ? { username, password } : undefined;
}

async function resolveX509(
  plan: NonNullable<CredentialsSection['x509']> | undefined,
  { planDir, env, uid, cfg, findings }: CredentialScope,
): Promise<X509 | undefined> {
  const at: PathSegment[] = ['credentials', 'x509'];
  if (plan) {
    const proxy = plan.proxy === undefined ? undefined : resolve(planDir, plan.proxy);
    const cert = plan.cert === undefined ? undefined : resolve(planDir, plan.cert);
    const key = plan.key === undefined ? undefined : resolve(planDir, plan.key);
    const checks = await Promise.all([
      // A proxy the plan renews may not exist yet: its command makes it before the first run.
      plan.renew_command ? true : requireReadable(proxy, [...at, 'proxy'], findings),
      requireReadable(cert, [...at, 'cert'], findings),
      requireReadable(key, [...at, 'key'], findings),
    ]);
    if (!checks.every(Boolean)) return undefined;
    if (proxy && plan.renew_command) {
      const renew = {
        command: plan.renew_command,
        marginSeconds: plan.renew_margin_seconds ?? DEFAULT_PROXY_RENEW_MARGIN_SECONDS,
        timeoutSeconds: plan.renew_timeout_seconds ?? DEFAULT_PROXY_RENEW_TIMEOUT_SECONDS,
      };
      return { proxy, renew };
    }
    if (proxy) return { proxy };
    return cert && key ? { cert, key } : undefined;
  }

  if (cfg) {
    const fromCfg = async (k: string): Promise<string | undefined> => {
      const value = cfg.client[k];
      if (!value) return undefined;
      const path = resolve(expandPath(value, env));
      const reason = await unreadableReason(path);
      if (!reason) return path;
      findings.warnAt(cfg.path, cfg.lines[k] ?? 1, `${k} ${path}: ${reason}; not using it`);
      return undefined;
    };
    const proxy = await fromCfg('client_x509_proxy');
    const cert = await fromCfg('client_cert');
    const key = cert ? await fromCfg('client_key') : undefined;
    // auth_type decides when rucio.cfg offers both forms, as it does for the Rucio client.
    const preferCert = cfg.client.auth_type === 'x509';
    if (cert && key && (preferCert || !proxy)) {
      findings.from('credentials.x509', cfg.path);
      return { cert, key };
    }
    if (proxy) {
      findings.from('credentials.x509.proxy', cfg.path);
      return { proxy };
    }
  }

  if (env.X509_USER_PROXY) {
    const proxy = resolve(env.X509_USER_PROXY);
    const reason = await unreadableReason(proxy);
    if (!reason) {
      findings.from('credentials.x509.proxy', 'X509_USER_PROXY');
      return { proxy };
    }
    findings.warn(['credentials'], `X509_USER_PROXY ${proxy}: ${reason}; not using it`);
    return undefined;
  }
  const defaultProxy = `/tmp/x509up_u${uid}`;
  if (!(await unreadableReason(defaultProxy))) {
    findings.from('credentials.x509.proxy', `default path ${defaultProxy}`);
    return { proxy: defaultProxy };
  }
  return undefined;
}

async function resolveToken(
  plan: NonNullable<CredentialsSection['token']> | undefined,
  { planDir, env, uid, findings, sandbox }: CredentialScope,
): Promise<Token | undefined> {
  const at: PathSegment[] = ['credentials', 'token'];
  if (plan?.issuer !== undefined) return resolveIssuedToken(plan, plan.issuer, { planDir, env, findings });
  if (plan?.file !== undefined) {
    const file = resolve(planDir, plan.file);
    return (await requireReadable(file, [...at, 'file'], findings)) ? { file } : undefined;
  }
  if (plan?.env !== undefined) {
    const value = env[plan.env]?.trim();
    if (value) return { value, source: plan.env };
    findings.error([...at, 'env'], `environment variable ${plan.env} is not set`);
    return undefined;
  }

  // WLCG Bearer Token Discovery, in its order; a sandbox plan skips the user's own
  // BEARER_TOKEN, which would otherwise override the sandbox's BEARER_TOKEN_FILE.
  const value = env.BEARER_TOKEN?.trim();
  if (value && sandbox) {
    findings.warn(['credentials'], 'BEARER_TOKEN is ignored for a sandbox plan: the sandbox\'s own token is used');
  } else if (value) {
    findings.from('credentials.token', 'BEARER_TOKEN');
    return { value, source: 'BEARER_TOKEN' };
  }
  if (env.BEARER_TOKEN_FILE) {
    const file = resolve(env.BEARER_TOKEN_FILE);
    const reason = await unreadableReason(file);
    if (!reason) {
      findings.from('credentials.token.file', 'BEARER_TOKEN_FILE');
      return { file };
    }
    findings.warn(['credentials'], `BEARER_TOKEN_FILE ${file}: ${reason}; not using it`);
  }
  const candidates = [...(env.XDG_RUNTIME_DIR ? [join(env.XDG_RUNTIME_DIR, `bt_u${uid}`)] : []), `/tmp/bt_u${uid}`];
  for (const file of candidates) {
    if (!(await unreadableReason(file))) {
      findings.from('credentials.token.file', `default path ${file}`);
      return { file };
    }
  }
  return undefined;
}

/** An issuer lakeprobe obtains tokens from: the client secret is read now, token files at each grant. */
async function resolveIssuedToken(
  plan: NonNullable<CredentialsSection['token']>,
  issuer: string,
  { planDir, env, findings }: Pick<CredentialScope, 'planDir' | 'env' | 'findings'>,
): Promise<Token | undefined> {
  const at: PathSegment[] = ['credentials', 'token'];
  let clientSecret: string | undefined;
  if (plan.client_secret_env !== undefined) {
    clientSecret = env[plan.client_secret_env]?.trim();
    if (!clientSecret) findings.error([...at, 'client_secret_env'], `environment variable ${plan.client_secret_env} is not set`);
  } else if (plan.client_secret_file !== undefined) {
    const file = resolve(planDir, plan.client_secret_file);
    try {
      clientSecret = (await readFile(file, 'utf8')).trim();
      if (!clientSecret) findings.error([...at, 'client_secret_file'], `${file} is empty`);
    } catch (err) {
      findings.error([...at, 'client_secret_file'], `cannot read ${file}: ${fileProblem(err)}`);
    }
  }
  const refreshTokenFile = plan.refresh_token_file === undefined ? undefined : resolve(planDir, plan.refresh_token_file);
  const subjectTokenFile = plan.subject_token_file === undefined ? undefined : resolve(planDir, plan.subject_token_file);
  const readable = await Promise.all([
    requireReadable(refreshTokenFile, [...at, 'refresh_token_file'], findings),
    requireReadable(subjectTokenFile, [...at, 'subject_token_file'], findings),
  ]);
  if (!clientSecret || plan.client_id === undefined || readable.includes(false)) return undefined;
  return {
    issued: {
      issuer: issuer.replace(/\/+$/, ''),
      clientId: plan.client_id,
      clientSecret,
      grant: plan.grant ?? 'client_credentials',
      ...(refreshTokenFile ? { refreshTokenFile } : {}),
      ...(subjectTokenFile ? { subjectTokenFile } : {}),
      ...(plan.audience !== undefined ? { audience: plan.audience } : {}),
      ...(plan.scope !== undefined ? { scope: plan.scope } : {}),
      renewMarginSeconds: plan.renew_margin_seconds ?? DEFAULT_RENEW_MARGIN_SECONDS,
      ...(plan.per_operation ? { perOperation: true } : {}),
    },
  };
}

async function requireReadable(path: string | undefined, at: PathSegment[], findings: Findings): Promise<boolean> {
  if (path === undefined) return true;
  const reason = await unreadableReason(path);
  if (reason) findings.error(at, `${path}: ${reason}`);
  return !reason;
}
