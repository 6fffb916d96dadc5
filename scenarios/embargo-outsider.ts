// The embargo outsider: an identity outside the embargo group, loaded from its own
// credential files. Every refusal counts only once the outsider is proved to work
// (it logs in, it reads open data); until then a check is `inconclusive`, never a pass.
import type { RunContext } from '../src/engine/run-context.js';
import { EmbargoViolationError, InconclusiveError, RucioApiError, StorageError } from '../src/lake/errors.js';
import { loadBearerToken, loadX509Proxy } from '../src/lake/credentials/index.js';
import type { RucioClient } from '../src/lake/rucio/index.js';
import type { StorageDriver } from '../src/lake/storage/driver.js';

export type OutsiderKind = 'x509' | 'token';

export interface Outsider {
  kind: OutsiderKind;
  /** Set once the outsider logged in to the catalogue; else why not. */
  rucio: RucioClient | null;
  rucioProblem: string;
  storage: StorageDriver | null;
  storageProblem: string;
}

const role = (o: Outsider): string => `nonmember-${o.kind}`;

/** Who acts in an outsider's operation: its role, and the credential kind it logs in with (not the test's). */
export const actingAs = (o: Outsider): { role: string; authMethod: OutsiderKind } => ({ role: role(o), authMethod: o.kind });

/** Builds the outsider for one credential kind and proves its catalogue login. */
export async function openOutsider(ctx: RunContext, kind: OutsiderKind, file: string, account: string): Promise<Outsider> {
  const o: Outsider = { kind, rucio: null, rucioProblem: '', storage: null, storageProblem: '' };
  const login = await ctx.op({ operation: 'auth', ...actingAs(o) }, async () => {
    const auth = kind === 'x509'
      ? { method: 'x509' as const, credential: await loadX509Proxy(file) }
      : { method: 'token' as const, token: await loadBearerToken({ file }) };
    const client = ctx.rucio.as(auth, account);
    await client.authenticate();
    await client.listScopes(); // a token is only proved by a call the server accepts
    return client;
  });
  if (login.ok) o.rucio = login.value;
  else o.rucioProblem = `${login.result.errorClass}: ${login.result.errorMessage}`;
  try {
    o.storage = await ctx.storageAs('davs', kind === 'x509' ? { proxy: file } : { tokenFile: file });
  } catch (e) {
    o.storageProblem = (e as Error).message;
  }
  return o;
}

/** The outsider reads a file outside the embargo: without that, its storage refusals prove nothing. */
export async function proveStorage(ctx: RunContext, o: Outsider, rse: string, openUrl: string): Promise<boolean> {
  const proof = await ctx.op({ operation: 'access', rse, protocol: 'davs', ...actingAs(o) }, async () => {
    if (!o.storage) throw new InconclusiveError(`the outsider's ${o.kind} credential could not be loaded: ${o.storageProblem}`);
    const stream = await o.storage.get(openUrl);
    for await (const chunk of stream) void chunk;
  });
  return proof.ok;
}

const refusedStatus = (s: number | undefined): boolean => s === 401 || s === 403;

/**
 * One thing the outsider must not be able to do. `expectAllowed` (reads after the embargo
 * end date) turns it round: then the outsider must succeed. A refusal of an unproved
 * outsider is inconclusive.
 */
export async function mustRefuse(
  ctx: RunContext, spec: Parameters<RunContext['op']>[0], proved: string | null, what: string,
  attempt: () => Promise<unknown>, expectAllowed = false,
): Promise<void> {
  await ctx.op(spec, async () => {
    if (proved !== null) throw new InconclusiveError(`cannot check that ${what} is refused: ${proved}`);
    let done = false;
    try {
      await attempt();
      done = true;
    } catch (e) {
      if (e instanceof RucioApiError && e.exceptionClass === 'CannotAuthenticate') {
        throw new InconclusiveError(`the outsider's login stopped working before ${what} could be checked: ${e.message}`);
      }
      // Rucio refuses by permission with AccessDenied; storage with 401/403.
      const refused = e instanceof RucioApiError ? e.exceptionClass === 'AccessDenied' : e instanceof StorageError && refusedStatus(e.status);
      if (!refused) throw e;
      if (expectAllowed) throw e; // the embargo ended: the refusal is the failure (auth_denied)
    }
    if (done && !expectAllowed) throw new EmbargoViolationError(what, `the outsider (${spec.role})`);
  });
}
