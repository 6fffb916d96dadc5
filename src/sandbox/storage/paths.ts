import { join, posix } from 'node:path';

/** Name prefix of in-flight uploads; such files are never listed. */
export const PARTIAL_PREFIX = '.lakeprobe-partial-';

/**
 * The request's path in the endpoint's path space ('/a/b', no trailing slash), or
 * undefined when it cannot name a file. Query strings (XRootD CGI) are ignored;
 * '..' cannot climb above '/'.
 */
export function requestPath(rawUrl: string | undefined): string | undefined {
  let decoded: string;
  try {
    decoded = decodeURIComponent(new URL(rawUrl ?? '/', 'https://localhost').pathname);
  } catch {
    return undefined;
  }
  if (decoded.includes('\0')) return undefined;
  const normalized = posix.normalize(`/${decoded}`);
  const path = normalized.length > 1 && normalized.endsWith('/') ? normalized.slice(0, -1) : normalized;
  return posix.basename(path).startsWith(PARTIAL_PREFIX) ? undefined : path;
}

export function diskPath(root: string, path: string): string {
  return join(root, ...path.split('/').filter((s) => s.length > 0));
}

/** Percent-encoded href for PROPFIND; collections end with '/'. */
export function hrefFor(path: string, isCollection: boolean): string {
  const encoded = path
    .split('/')
    .map((s) => encodeURIComponent(s))
    .join('/');
  return isCollection && !encoded.endsWith('/') ? `${encoded}/` : encoded;
}
