// Fills what the plan leaves unset from the conventions users already have.
// Precedence: the plan, then rucio.cfg, then environment variables and default paths.
import { resolve } from 'node:path';
import { resolveCredentials } from './credential-conventions.js';
import type { Diagnostic } from './diagnostics.js';
import { exists, isFile, unreadableReason } from './files.js';
import { Findings } from './findings.js';
import { storageTimeoutsOf } from './lake-timeouts.js';
import type { ResolvedCredentials, ResolvedLake } from './resolved.js';
import { expandPath, readRucioCfg, type RucioCfg, type RucioCfgRead } from './rucio-cfg.js';
import type { CredentialsSection, LakeSection } from './schema.js';
import type { PlanIssue } from './validate.js';

export const DEFAULT_CERT_DIR = '/etc/grid-security/certificates';
export const DEFAULT_VO = 'def';

export interface ConventionsInput {
  lake: LakeSection | undefined;
  credentials: CredentialsSection | undefined;
  /** Relative paths in the plan are relative to the plan file's folder. */
  planDir: string;
  env: Record<string, string | undefined>;
  uid: number;
}

export interface Conventions {
  sandbox: boolean;
  lake: ResolvedLake;
  credentials: ResolvedCredentials;
  sources: string[];
  issues: PlanIssue[];
  diagnostics: Diagnostic[];
}

export async function resolveConventions(input: ConventionsInput): Promise<Conventions> {
  const findings = new Findings();
  const read = await readRucioCfg(input.env);
  if (read.unreadable) findings.error(['lake'], read.unreadable);
  findings.diagnostics.push(...read.diagnostics);

  const sandbox = input.lake?.sandbox ?? false;
  const lake = await resolveLake(input.lake ?? {}, sandbox, read, input, findings);
  const credentials = await resolveCredentials(input.credentials, { ...input, cfg: read.cfg, findings, sandbox });
  return { sandbox, lake, credentials, sources: findings.sources, issues: findings.issues, diagnostics: findings.diagnostics };
}

async function resolveLake(
  plan: LakeSection,
  sandbox: boolean,
  { cfg, path: cfgPath }: RucioCfgRead,
  { planDir, env }: ConventionsInput,
  findings: Findings,
): Promise<ResolvedLake> {
  const fromCfg = (field: string, key: string): string | undefined => {
    const value = cfg?.client[key];
    if (!cfg || !value) return undefined;
    findings.from(`lake.${field}`, cfg.path);
    return value;
  };
  // Without the sandbox there is nothing else to fill these in later.
  const required = (field: string, cfgKey: string): void => {
    if (sandbox) return;
    const where = cfgPath ?? 'rucio.cfg (none found: set RUCIO_CONFIG)';
    findings.error(['lake', field], `is required without the sandbox: set it here, or ${cfgKey} in [client] of ${where}`);
  };

  refuseUrlCredentials(plan, cfg, findings);
  const rucioHost = plan.rucio_host ?? fromCfg('rucio_host', 'rucio_host');
  if (rucioHost === undefined) required('rucio_host', 'rucio_host');
  // rucio.cfg's auth_host belongs to rucio.cfg's rucio_host: a plan naming another server
  // authenticates against that server unless it says otherwise.
  const authHost = plan.auth_host ?? (plan.rucio_host ?? fromCfg('auth_host', 'auth_host')) ?? rucioHost;
  const vo = plan.vo ?? fromCfg('vo', 'vo') ?? DEFAULT_VO;
  const account = plan.account ?? fromCfg('account', 'account');
  if (account === undefined) required('account', 'account');
  const caPath = await resolveCaPath(plan.ca_cert, cfg, planDir, env, findings);
  let sandboxConfig: string | undefined;
  if (plan.sandbox_config !== undefined) {
    sandboxConfig = resolve(planDir, plan.sandbox_config);
    const reason = await unreadableReason(sandboxConfig);
    if (reason) findings.error(['lake', 'sandbox_config'], `${sandboxConfig}: ${reason}`);
    else if (!(await isFile(sandboxConfig))) findings.error(['lake', 'sandbox_config'], `${sandboxConfig}: not a regular file (a directory?); sandbox_config names the sandbox's YAML file`);
    if (!sandbox) findings.error(['lake', 'sandbox_config'], 'only meaningful with sandbox: true');
  }

  return {
    ...(rucioHost !== undefined && { rucioHost }),
    ...(authHost !== undefined && { authHost }),
    vo,
    ...(account !== undefined && { account }),
    ...(caPath !== undefined && { caPath }),
    insecure: plan.insecure ?? false,
    ...(sandboxConfig !== undefined && { sandboxConfig }),
    ...(plan.timeouts !== undefined && { storageTimeouts: storageTimeoutsOf(plan.timeouts) }),
  };
}

const URL_CREDENTIALS = 'a user name or password in the URL (user:password@host) is refused: '
  + 'it would never be sent; use credentials.userpass with password_env or password_file';

function hasUserinfo(value: string | undefined): boolean {
  if (value === undefined) return false;
  try {
    const url = new URL(value.trim());
    return url.username !== '' || url.password !== '';
  } catch {
    // Not a URL: the schema (plan) or the client (rucio.cfg) says so; '@' before the host still counts.
    return /^[a-z][a-z0-9+.-]*:\/\/[^/?#]*@/i.test(value.trim());
  }
}

/** Secrets have no place in a host URL, in the plan or in rucio.cfg; the value is never echoed. */
function refuseUrlCredentials(plan: LakeSection, cfg: RucioCfg | null, findings: Findings): void {
  // rucio.cfg's values only count where they are used (see resolveLake).
  const cfgUsed = { rucio_host: plan.rucio_host === undefined, auth_host: plan.auth_host === undefined && plan.rucio_host === undefined };
  for (const field of ['rucio_host', 'auth_host'] as const) {
    if (hasUserinfo(plan[field])) findings.error(['lake', field], URL_CREDENTIALS);
    if (cfg && cfgUsed[field] && hasUserinfo(cfg.client[field])) {
      findings.diagnostics.push({
        file: cfg.path, line: cfg.lines[field] ?? 1, column: 1, path: field, message: URL_CREDENTIALS, severity: 'error',
      });
    }
  }
}

async function resolveCaPath(
  planValue: string | undefined,
  cfg: RucioCfg | null,
  planDir: string,
  env: Record<string, string | undefined>,
  findings: Findings,
): Promise<string | undefined> {
  if (planValue !== undefined) {
    const path = resolve(planDir, planValue);
    const reason = await unreadableReason(path);
    if (reason) findings.error(['lake', 'ca_cert'], `${path}: ${reason}`);
    return reason ? undefined : path;
  }
  const cfgValue = cfg?.client.ca_cert;
  if (cfg && cfgValue) {
    const path = resolve(expandPath(cfgValue, env));
    const reason = await unreadableReason(path);
    if (!reason) {
      findings.from('lake.ca_cert', cfg.path);
      return path;
    }
    findings.warnAt(cfg.path, cfg.lines.ca_cert ?? 1, `ca_cert ${path}: ${reason}; not using it`);
  }
  if (env.X509_CERT_DIR) {
    const path = resolve(env.X509_CERT_DIR);
    const reason = await unreadableReason(path);
    if (!reason) {
      findings.from('lake.ca_cert', 'X509_CERT_DIR');
      return path;
    }
    findings.warn(['lake'], `X509_CERT_DIR ${path}: ${reason}; not using it`);
    return undefined;
  }
  if (await exists(DEFAULT_CERT_DIR)) {
    findings.from('lake.ca_cert', `default path ${DEFAULT_CERT_DIR}`);
    return DEFAULT_CERT_DIR;
  }
  return undefined;
}
