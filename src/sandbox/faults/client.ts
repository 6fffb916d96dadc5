// Client of the fault admin API (see admin.ts), used by `lakeprobe sandbox fault`.
import type { ActiveFault } from './fault-set.js';
import type { FaultSpecInput } from './spec.js';

/** The admin API refused or failed a request; `problems` lists invalid spec fields. */
export class FaultAdminError extends Error {
  override readonly name = 'FaultAdminError';
  constructor(readonly status: number, message: string, readonly problems: string[] = []) {
    super(message);
  }
}

export interface FaultClient {
  list(): Promise<ActiveFault[]>;
  /** Returns the new fault's id once the fault is in effect. */
  add(spec: FaultSpecInput): Promise<string>;
  remove(id: string): Promise<void>;
  /** Returns how many faults were removed. */
  clear(): Promise<number>;
}

/** Adding short_credentials signs a new proxy: allow it some seconds. */
const TIMEOUT_MS = 30_000;

export function faultClient(url: string, secret: string): FaultClient {
  const call = async <T>(method: string, path: string, body?: unknown): Promise<T> => {
    let res: Response;
    try {
      res = await fetch(`${url.replace(/\/+$/, '')}${path}`, {
        method,
        headers: { Authorization: `Bearer ${secret}`, ...(body === undefined ? {} : { 'Content-Type': 'application/json' }) },
        body: body === undefined ? undefined : JSON.stringify(body),
        signal: AbortSignal.timeout(TIMEOUT_MS),
      });
    } catch (err) {
      const cause = err instanceof Error && err.cause instanceof Error ? `: ${err.cause.message}` : '';
      throw new FaultAdminError(0, `cannot reach the fault admin API at ${url}${cause}`);
    }
    const text = await res.text();
    let value: unknown;
    try {
      value = JSON.parse(text);
    } catch {
      throw new FaultAdminError(res.status, `the fault admin API answered ${res.status} with a body that is not JSON`);
    }
    if (!res.ok) {
      const { error, problems } = value as { error?: unknown; problems?: unknown };
      throw new FaultAdminError(res.status, typeof error === 'string' ? error : `HTTP ${res.status}`,
        Array.isArray(problems) ? problems.map(String) : []);
    }
    return value as T;
  };
  return {
    list: () => call<ActiveFault[]>('GET', '/faults'),
    add: async (spec) => (await call<{ id: string }>('POST', '/faults', spec)).id,
    remove: async (id) => {
      await call('DELETE', `/faults/${encodeURIComponent(id)}`);
    },
    clear: async () => (await call<{ removed: number }>('DELETE', '/faults')).removed,
  };
}
