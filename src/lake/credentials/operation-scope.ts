// The least WLCG storage scope a WebDAV request needs (WLCG token profile 1.0 §
// "Scope-based authorization": storage.read, storage.create, storage.modify on a path),
// and the audience a storage endpoint expects: its own URL, scheme, host and port.
// Methods are HTTP's, or the tool drivers' names for what xrdfs/gfal do (STAT, CHECKSUM, MKDIR).

/**
 * A write by a grid tool (xrdcp --force, gfal-copy -f -p): it looks the destination up,
 * creates its missing parents and replaces an existing file, so it needs storage.read and
 * storage.modify (create does not permit overwriting) on the destination's folder.
 */
export const OVERWRITE = 'OVERWRITE';
/** A removal by a grid tool (gfal-rm): it looks the path up first, so storage.read and storage.modify on it. */
export const REMOVE = 'REMOVE';

const READS = new Set(['GET', 'HEAD', 'PROPFIND', 'OPTIONS', 'STAT', 'CHECKSUM']);
const CREATES = new Set(['PUT', 'MKCOL', 'COPY', 'MKDIR']);

/** `storage.read:/path` for reads, `storage.create:` for new files and collections, `storage.modify:` otherwise. */
export function leastStorageScope(method: string, path: string): string {
  const m = method.toUpperCase();
  const clean = decodeURIComponent(path).replace(/\/{2,}/g, '/');
  const absolute = clean.startsWith('/') ? clean : `/${clean}`;
  if (m === OVERWRITE) {
    const folder = absolute.replace(/\/[^/]*$/, '') || '/';
    return `storage.read:${folder} storage.modify:${folder}`;
  }
  if (m === REMOVE) return `storage.read:${absolute} storage.modify:${absolute}`;
  const action = READS.has(m) ? 'read' : CREATES.has(m) ? 'create' : 'modify';
  return `storage.${action}:${absolute}`;
}

/** The endpoint's audience as the WLCG profile recommends: `https://host:port` (`root://host:port` for XRootD's own protocol). */
export function endpointAudience(url: URL): string {
  // URL.origin is 'null' for schemes WHATWG does not know (root, roots).
  return `${url.protocol}//${url.host}`;
}
