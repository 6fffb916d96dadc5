// Which token an operation presented, as its audience and scope (never the token): each
// catalogue call and storage request notes the token it sends, and the operation running
// at the time (found through the async context, however deep the call) collects them.
import { AsyncLocalStorage } from 'node:async_hooks';
import type { BearerToken } from './types.js';

/** Distinct audience/scope pairs one operation records; more are counted, not listed. */
export const MAX_TOKEN_USES = 8;
const MAX_PART_CHARS = 120;

const collectors = new AsyncLocalStorage<Set<string>>();

function part(value: unknown): string {
  const text = (Array.isArray(value) ? value.map(String).join(',') : value === undefined || value === null ? '' : String(value))
    .replace(/\s+/g, ' ').trim() || '-';
  return text.length > MAX_PART_CHARS ? `${text.slice(0, MAX_PART_CHARS - 1)}…` : text;
}

/** `aud=<audience> scope="<scopes>"`: what was asked of the issuer, else what the token's claims say. */
export function tokenUse(token: BearerToken): string {
  const aud = token.requested?.audience ?? token.claims?.aud;
  const scope = token.requested?.scope ?? token.claims?.scope;
  return `aud=${part(aud)} scope="${part(scope)}"`;
}

/** Called where a token goes out: the operation running now records its audience and scope. */
export function noteTokenUse(token: BearerToken | undefined): void {
  const uses = collectors.getStore();
  if (!token || !uses) return;
  uses.add(tokenUse(token));
}

/** Runs `body`, adding to `uses` every token use noted inside it. */
export function collectTokenUses<T>(uses: Set<string>, body: () => Promise<T>): Promise<T> {
  return collectors.run(uses, body);
}

/** The uses joined by '; ' ('' when none), bounded. */
export function describeTokenUses(uses: ReadonlySet<string>): string {
  const list = [...uses];
  const shown = list.slice(0, MAX_TOKEN_USES).join('; ');
  return list.length > MAX_TOKEN_USES ? `${shown}; … ${list.length - MAX_TOKEN_USES} more` : shown;
}
