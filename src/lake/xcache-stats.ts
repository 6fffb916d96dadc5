// A proxy file cache's (XCache) own count of the files it opened at its origin, from the
// summary statistics XRootD answers to `kXR_query stats` (section <stats id="pss">, XrdPss).
// A read served from the cache's disk opens nothing at the origin; a miss (the file or part of
// it not yet cached) opens it once: the count's change across one read tells which it was.

const PSS_OPENS = /<stats id="pss">\s*<open>\s*(\d+)/;

/** Files the cache opened at its origin so far; null when the server is no proxy (no pss section). */
export function originOpens(statsXml: string): number | null {
  const match = PSS_OPENS.exec(statsXml);
  return match ? Number(match[1]) : null;
}

export type CacheOutcome = 'hit' | 'miss';

/** One read's outcome from the origin opens before and after it (no other reader in between). */
export function cacheOutcome(before: number, after: number): CacheOutcome {
  return after > before ? 'miss' : 'hit';
}
