// A small path matcher. Patterns are split on '/': ':x' takes one segment,
// '*did' takes a scope segment and the rest as the name (Rucio's <path:scope_name>).
import type { RequestContext } from './context.js';
import { RucioError } from './errors.js';
import type { Reply } from './http.js';
import { pyRepr } from './format.js';

export type Handler = (ctx: RequestContext) => Reply;

export interface Route {
  method: string;
  pattern: string;
  handler: Handler;
  /** Media types the view offers: check_accept_header_wrapper_flask answers 406 when Accept allows none. */
  accept?: string[];
}

interface Compiled extends Route {
  prefix: string[];
  suffix: string[];
  did: boolean;
}

export type Match =
  | { kind: 'ok'; route: Route; params: Record<string, string> }
  | { kind: 'method'; allowed: string[] }
  | { kind: 'none' };

/**
 * The methods werkzeug's MethodNotAllowed lists in Allow: those of every rule matching the path, HEAD with GET
 * (werkzeug's Rule) and OPTIONS (Flask's automatic options). Werkzeug joins a set, so its order is arbitrary.
 */
export function allowedMethods(methods: Iterable<string>): string[] {
  const all = new Set(methods);
  if (all.has('GET')) all.add('HEAD');
  all.add('OPTIONS');
  return [...all].sort();
}

function compile(route: Route): Compiled {
  const segs = route.pattern.split('/').slice(1);
  const star = segs.findIndex((s) => s === '*did');
  if (star < 0) return { ...route, prefix: segs, suffix: [], did: false };
  return { ...route, prefix: segs.slice(0, star), suffix: segs.slice(star + 1), did: true };
}

function matchSegments(pattern: string[], segs: string[], params: Record<string, string>): boolean {
  if (pattern.length !== segs.length) return false;
  for (let i = 0; i < pattern.length; i++) {
    const p = pattern[i] as string;
    const s = segs[i] as string;
    if (p.startsWith(':')) {
      if (s === '') return false;
      params[p.slice(1)] = s;
    } else if (p !== s) return false;
  }
  return true;
}

function matchRoute(r: Compiled, segs: string[]): Record<string, string> | null {
  const params: Record<string, string> = {};
  if (!r.did) return matchSegments(r.prefix, segs, params) ? params : null;
  const middle = segs.length - r.prefix.length - r.suffix.length;
  if (middle < 2) return null;
  if (!matchSegments(r.prefix, segs.slice(0, r.prefix.length), params)) return null;
  if (!matchSegments(r.suffix, segs.slice(segs.length - r.suffix.length), params)) return null;
  const did = segs.slice(r.prefix.length, r.prefix.length + middle);
  if (did.some((s) => s === '')) return null;
  params.scope = did[0] as string;
  params.name = did.slice(1).join('/');
  return params;
}

function decode(s: string): string {
  try {
    return decodeURIComponent(s);
  } catch {
    return s;
  }
}

export class Router {
  private readonly routes: Compiled[];

  constructor(routes: Route[]) {
    this.routes = routes.map(compile);
  }

  /** Matches a raw (still percent-encoded) path; segments are decoded one by one so '%2F' stays inside a name. */
  match(method: string, rawPath: string): Match {
    const segs = rawPath.split('/').slice(1).map(decode);
    const others: string[] = [];
    for (const r of this.routes) {
      const params = matchRoute(r, segs);
      if (!params) continue;
      if (r.method === method) return { kind: 'ok', route: r, params };
      others.push(r.method);
    }
    return others.length ? { kind: 'method', allowed: allowedMethods(others) } : { kind: 'none' };
  }
}

/** Werkzeug's MIMEAccept membership: a range with q > 0 equal to the type, or 'type/*', or '*' + '/*'. */
function acceptable(accept: string, type: string): boolean {
  const [major] = type.split('/');
  return accept.split(',').some((part) => {
    const [range = '', ...params] = part.trim().split(';').map((x) => x.trim().toLowerCase());
    const q = Number(params.find((x) => x.startsWith('q='))?.slice(2) ?? '1');
    if (!(q > 0)) return false;
    return range === type || range === '*/*' || range === '*' || range === `${major}/*`;
  });
}

/** check_accept_header_wrapper_flask (lib/rucio/web/rest/flaskapi/v1/common.py): no Accept header accepts all. */
export function checkAccept(accept: string | undefined, supported: string[]): void {
  if (accept === undefined || accept.trim() === '') return;
  if (supported.some((t) => acceptable(accept, t))) return;
  throw new RucioError(406, 'UnsupportedRequestedContentType',
    `The requested content type ${accept} is not supported. Use ${pyRepr(supported)}.`);
}

/** The media-type lists Rucio's views pass to check_accept_header_wrapper_flask. */
export const JSON_ONLY = ['application/json'];
export const STREAM_ONLY = ['application/x-json-stream'];
export const STREAM_OR_METALINK = ['application/x-json-stream', 'application/metalink4+xml'];
