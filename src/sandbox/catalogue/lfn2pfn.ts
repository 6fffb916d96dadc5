// Server-side PFN construction: the RSE's lfn2pfn algorithm gives the path,
// the protocol (scheme, host, port, prefix, impl) gives the URL around it.
import { createHash } from 'node:crypto';
import type { Protocol } from './rse-store.js';

function scopePath(scope: string): string {
  return scope.startsWith('user') || scope.startsWith('group') ? scope.replace(/\./g, '/') : scope;
}

/**
 * Path of a DID under the protocol prefix. 'hash': scope'/h[0:2]/h[2:4]/name with
 * h = md5(scope:name); 'identity': scope'/name. Other algorithm names fall back to 'hash'.
 */
export function lfnPath(scope: string, name: string, algorithm: string): string {
  if (algorithm === 'identity') return `${scopePath(scope)}/${name}`;
  const h = createHash('md5').update(`${scope}:${name}`).digest('hex');
  return `${scopePath(scope)}/${h.slice(0, 2)}/${h.slice(2, 4)}/${name}`;
}

function normalizedPrefix(prefix: string): string {
  let p = prefix.startsWith('/') ? prefix : `/${prefix}`;
  if (!p.endsWith('/')) p += '/';
  return p;
}

/** scheme://host[:port][web_service_path] and the normalized prefix, per protocol implementation. */
function urlBase(proto: Protocol): string {
  const impl = proto.impl.toLowerCase();
  if (impl.includes('posix')) return `${proto.scheme}://${proto.hostname}`;
  if (impl.includes('gfal')) {
    const attrs = (proto.extended_attributes ?? {}) as Record<string, unknown>;
    const wsp = typeof attrs.web_service_path === 'string' ? attrs.web_service_path : '';
    const port = proto.port === 0 ? '' : `:${proto.port}`;
    return `${proto.scheme}://${proto.hostname}${port}${wsp}`;
  }
  return `${proto.scheme}://${proto.hostname}:${proto.port}`;
}

export function pfnFor(proto: Protocol, path: string): string {
  return urlBase(proto) + normalizedPrefix(proto.prefix) + path.replace(/^\/+/, '');
}

/** The path relative to the protocol prefix, or null when the PFN is not under this protocol. */
export function pathUnder(proto: Protocol, pfn: string): string | null {
  const base = urlBase(proto) + normalizedPrefix(proto.prefix);
  if (!pfn.startsWith(base) || pfn.length === base.length) return null;
  return pfn.slice(base.length);
}
