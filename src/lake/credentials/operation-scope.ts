// The least WLCG storage scope a WebDAV request needs (WLCG token profile 1.0 §
// "Scope-based authorization": storage.read, storage.create, storage.modify on a path),
// and the audience a storage endpoint expects: its own URL, scheme, host and port.

const READS = new Set(['GET', 'HEAD', 'PROPFIND', 'OPTIONS']);
const CREATES = new Set(['PUT', 'MKCOL', 'COPY']);

/** `storage.read:/path` for reads, `storage.create:` for new files and collections, `storage.modify:` otherwise. */
export function leastStorageScope(method: string, path: string): string {
  const m = method.toUpperCase();
  const action = READS.has(m) ? 'read' : CREATES.has(m) ? 'create' : 'modify';
  const clean = decodeURIComponent(path).replace(/\/{2,}/g, '/');
  return `storage.${action}:${clean.startsWith('/') ? clean : `/${clean}`}`;
}

/** The endpoint's audience as the WLCG profile recommends: `https://host:port`. */
export function endpointAudience(url: URL): string {
  return url.origin;
}
