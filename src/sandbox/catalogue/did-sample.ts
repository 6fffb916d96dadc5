// POST /dids/sample and the legacy path form (flaskapi/v1/dids.py Sample and SampleLegacy ->
// gateway/did.py create_did_sample -> core/did.py create_did_sample): a new dataset holding a random
// choice of the files of a collection.
import type { RequestContext } from './context.js';
import { jsonObject } from './context.js';
import { insertCollection, mayWriteScope } from './dids.js';
import { requireDid } from './did-store.js';
import { filesOf } from './did-listing.js';
import { RucioError, accessDenied } from './errors.js';
import { pyRepr } from './format.js';
import type { Reply } from './http.js';
import { created } from './http.js';
import { PythonError } from './py-literal.js';
import type { Route } from './router.js';

interface SampleRequest {
  inputScope: string;
  inputName: string;
  outputScope: string;
  outputName: string;
  nbfiles: unknown;
}

/** Python's int() of the JSON value or path segment Rucio passes on. */
function pyInt(v: unknown): number {
  if (typeof v === 'number') return Math.trunc(v);
  if (typeof v === 'boolean') return v ? 1 : 0;
  if (typeof v === 'string' && /^\s*[+-]?\d+\s*$/.test(v)) return Number.parseInt(v, 10);
  if (typeof v === 'string') throw new PythonError(`invalid literal for int() with base 10: ${pyRepr(v)}`);
  throw new PythonError(`int() argument must be a string, a bytes-like object or a real number, not '${v === null ? 'NoneType' : typeof v === 'object' ? (Array.isArray(v) ? 'list' : 'dict') : 'str'}'`);
}

function shuffle<T>(items: T[]): T[] {
  for (let i = items.length - 1; i > 0; i--) {
    const j = Math.floor(Math.random() * (i + 1));
    [items[i], items[j]] = [items[j] as T, items[i] as T];
  }
  return items;
}

/**
 * perm_create_did_sample: root, an admin, the output scope's owner, or the 'mock' scope. Then the input's
 * files are shuffled and files[:int(nbfiles)] (Python slicing: a negative count drops from the end) go
 * into a new open dataset owned by the caller. ScopeNotFound is not among the view's exceptions: 500.
 */
function createSample(ctx: RequestContext, s: SampleRequest): Reply {
  if (!mayWriteScope(ctx.cat, ctx.caller, s.outputScope) && s.outputScope !== 'mock') {
    throw accessDenied(`Account ${ctx.caller.account} can not bulk add data identifier. `);
  }
  const files = shuffle(filesOf(ctx.cat.db, requireDid(ctx.cat.db, s.inputScope, s.inputName), false));
  const chosen = files.slice(0, pyInt(s.nbfiles)).map((f) => ({ scope: f.scope, name: f.name }));
  try {
    insertCollection(ctx, s.outputScope, s.outputName, 'DATASET', { dids: chosen });
  } catch (e) {
    if (e instanceof RucioError && e.exceptionClass === 'ScopeNotFound') throw new RucioError(500, e.exceptionClass, e.message);
    throw e;
  }
  return created();
}

/** Sample.post: a JSON object; a missing key is a KeyError the view does not catch (500 "'key'"). */
function sample(ctx: RequestContext): Reply {
  const body = jsonObject(ctx.body);
  const get = (key: string): unknown => {
    if (!(key in body)) throw new PythonError(`'${key}'`);
    return body[key];
  };
  return createSample(ctx, {
    inputScope: String(get('input_scope')), inputName: String(get('input_name')),
    outputScope: String(get('output_scope')), outputName: String(get('output_name')), nbfiles: get('nbfiles'),
  });
}

/** SampleLegacy.post: the same from /dids/<input_scope>/<input_name>/<output_scope>/<output_name>/<nbfiles>/sample. */
function sampleLegacy(ctx: RequestContext): Reply {
  const p = ctx.params;
  return createSample(ctx, {
    inputScope: p.inScope as string, inputName: p.inName as string, outputScope: p.outScope as string,
    outputName: p.outName as string, nbfiles: p.nbfiles as string,
  });
}

export const didSampleRoutes: Route[] = [
  { method: 'POST', pattern: '/dids/sample', handler: sample },
  { method: 'POST', pattern: '/dids/:inScope/:inName/:outScope/:outName/:nbfiles/sample', handler: sampleLegacy },
];
