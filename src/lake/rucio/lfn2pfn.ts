// Client-side PFN construction for deterministic RSEs, as Rucio's rse/translation.py and
// rse/protocols/*.py do it. Algorithms other than 'hash' and 'identity' belong to policy
// packages: ask the server instead (RucioClient.lfnsToPfns).
import { createHash } from 'node:crypto';
import type { RseProtocol } from './types.js';

export type Lfn2PfnAlgorithm = 'hash' | 'identity';

export function isLocalLfn2PfnAlgorithm(algorithm: string): algorithm is Lfn2PfnAlgorithm {
  return algorithm === 'hash' || algorithm === 'identity';
}

/** user.jdoe → user/jdoe; any scope starting with 'user' or 'group' has every dot turned into a slash. */
function scopeDirectory(scope: string): string {
  return scope.startsWith('user') || scope.startsWith('group') ? scope.replaceAll('.', '/') : scope;
}

/** The storage path of a DID relative to the protocol prefix. */
export function lfn2pfnPath(scope: string, name: string, algorithm: Lfn2PfnAlgorithm): string {
  if (algorithm === 'identity') return `${scopeDirectory(scope)}/${name}`;
  // The hash covers the scope as given, dots included.
  const h = createHash('md5').update(`${scope}:${name}`).digest('hex');
  return `${scopeDirectory(scope)}/${h.slice(0, 2)}/${h.slice(2, 4)}/${name}`;
}

/** Prefix with exactly one guaranteed leading and trailing '/', keeping '//' (xrootd '//eos/...'). */
function normalisePrefix(prefix: string): string {
  let out = prefix.startsWith('/') ? prefix : `/${prefix}`;
  if (!out.endsWith('/')) out = `${out}/`;
  return out;
}

const URL_PATTERN = /^\w+:\/\//;

/**
 * The PFN of `path` on one protocol. Generic protocols (webdav, xrootd, mock) always write the
 * port; posix never does; gfal omits port 0 and puts extended_attributes.web_service_path
 * between host and prefix.
 */
export function buildPfn(protocol: RseProtocol, path: string): string {
  const prefix = normalisePrefix(protocol.prefix ?? '');
  const impl = protocol.impl ?? '';
  if (impl.includes('.gfal.')) {
    const relative = protocol.scheme !== 'root' && path.startsWith('/') ? path.slice(1) : path;
    if (URL_PATTERN.test(relative)) return relative;
    const hostname = protocol.hostname.includes('://') ? protocol.hostname.split('://')[1] : protocol.hostname;
    const port = protocol.port === 0 ? '' : `:${protocol.port}`;
    const servicePath = protocol.extended_attributes?.web_service_path;
    return `${protocol.scheme}://${hostname}${port}${typeof servicePath === 'string' ? servicePath : ''}${prefix}${relative}`;
  }
  if (URL_PATTERN.test(path)) return path;
  const host = impl.includes('.posix.') ? protocol.hostname : `${protocol.hostname}:${protocol.port}`;
  return `${protocol.scheme}://${host}${prefix}${path}`;
}
