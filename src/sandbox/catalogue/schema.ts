// Rucio's generic JSON schemas and a validator whose failure text matches
// Python jsonschema's (best_match: the shallowest error, first in schema order).
import { RucioError } from './errors.js';
import { pyPformat, pyRepr } from './format.js';

export type Schema = Record<string, unknown>;

export const SCOPE: Schema = { description: 'Scope name', type: 'string', pattern: '^[a-zA-Z_\\-.0-9]+$', maxLength: 25 };
export const NAME: Schema = {
  description: 'Data Identifier name',
  type: 'string',
  pattern: '^[/A-Za-z0-9][/A-Za-z0-9\\.\\-_]*$',
  maxLength: 250,
};
export const ACCOUNT: Schema = { description: 'Account name', type: 'string', pattern: '^[a-z0-9-_]+$', maxLength: 25 };
export const RSE: Schema = { description: 'RSE name', type: 'string', pattern: '^([A-Z0-9]+([_-][A-Z0-9]+)*)$' };
const ADLER32: Schema = { description: 'adler32', type: 'string', pattern: '^[a-fA-F\\d]{8}$' };
const MD5: Schema = { description: 'md5', type: 'string', pattern: '^[a-fA-F\\d]{32}$' };
const BYTES: Schema = { description: 'Size in bytes', type: 'integer' };
const REPLICA_STATE: Schema = {
  description: 'Replica state',
  type: 'string',
  enum: ['AVAILABLE', 'UNAVAILABLE', 'COPYING', 'BEING_DELETED', 'BAD', 'SOURCE', 'TEMPORARY_UNAVAILABLE',
    'A', 'U', 'C', 'B', 'D', 'S', 'T'],
};
const DID_TYPE: Schema = { description: 'DID type', type: 'string', enum: ['DATASET', 'CONTAINER', 'FILE', 'F'] };
const META: Schema = { description: 'Data Identifier(DID) metadata', type: 'object' };

export const DID: Schema = {
  description: 'Data Identifier(DID)',
  type: 'object',
  properties: {
    scope: SCOPE, name: NAME, type: DID_TYPE, meta: META, rules: { type: 'array' }, bytes: BYTES,
    adler32: ADLER32, md5: MD5, state: REPLICA_STATE, pfn: { description: 'Physical File Name', type: 'string' },
  },
  required: ['scope', 'name'],
  additionalProperties: false,
};
export const DIDS: Schema = { description: 'Array of Data Identifiers(DIDs)', type: 'array', items: DID, minItems: 1, maxItems: 1000 };
/** R_DID(S): the relaxed form deletions are checked against (scope and name need one word character). */
const R_DID: Schema = {
  ...DID,
  properties: { ...(DID.properties as object), scope: { description: 'Scope name', type: 'string', pattern: '\\w' },
    name: { description: 'Data Identifier name', type: 'string', pattern: '\\w' } },
};
export const R_DIDS: Schema = { ...DIDS, items: R_DID };

export const ACTIVITY: Schema = {
  description: 'Activity name',
  type: 'string',
  enum: ['Data Brokering', 'Data Consolidation', 'Data Challenge', 'Data Rebalancing', 'Debug', 'Express',
    'Functional Test', 'Group Subscriptions', 'Production Input', 'Production Output', 'Analysis Input',
    'Analysis Output', 'Staging', 'T0 Export', 'T0 Tape', 'Upload/Download (Job)', 'Upload/Download (User)',
    'User Subscriptions'],
};

export const RULE: Schema = {
  description: 'Replication rule',
  type: 'object',
  properties: {
    dids: { type: 'array' },
    account: ACCOUNT,
    copies: { description: 'Number of replica copies', type: 'integer' },
    rse_expression: { description: 'RSE expression', type: 'string' },
    grouping: { description: 'Rule grouping', type: ['string', 'null'], enum: ['DATASET', 'NONE', 'ALL', null] },
    weight: { description: 'Rule weight', type: ['string', 'null'] },
    lifetime: { description: 'Rule lifetime', type: ['number', 'null'] },
    locked: { description: 'Rule locked status', type: ['boolean', 'null'] },
    source_replica_expression: { description: 'RSE expression', type: ['string', 'null'] },
    activity: ACTIVITY,
    notify: { description: 'Rule notification setting', type: ['string', 'null'], enum: ['Y', 'C', 'N', 'P', null] },
    purge_replicas: { description: 'Rule purge replica status', type: 'boolean' },
    ignore_availability: { description: 'Rule ignore availability status', type: 'boolean' },
    comment: { description: 'Rule comment', type: ['string', 'null'], maxLength: 250 },
    priority: { description: 'Priority of the transfers', type: 'integer' },
    meta: { description: 'Rule wfms metadata', type: ['string', 'null'], maxLength: 3999 },
  },
  required: ['dids', 'copies', 'rse_expression'],
};

interface Failure {
  message: string;
  validator: string;
  schema: unknown;
  schemaPath: (string | number)[];
  path: (string | number)[];
  instance: unknown;
}

function typeOk(v: unknown, t: string): boolean {
  switch (t) {
    case 'string': return typeof v === 'string';
    case 'integer': return typeof v === 'number' && Number.isInteger(v);
    case 'number': return typeof v === 'number';
    case 'boolean': return typeof v === 'boolean';
    case 'null': return v === null;
    case 'array': return Array.isArray(v);
    case 'object': return v !== null && typeof v === 'object' && !Array.isArray(v);
    default: return true;
  }
}

function* check(schema: Schema, v: unknown, path: (string | number)[], sp: (string | number)[]): Generator<Failure> {
  const fail = (validator: string, message: string): Failure =>
    ({ message, validator, schema, schemaPath: sp, path, instance: v });
  for (const [kw, arg] of Object.entries(schema)) {
    if (kw === 'type') {
      const types = Array.isArray(arg) ? (arg as string[]) : [arg as string];
      if (!types.some((t) => typeOk(v, t))) yield fail(kw, `${pyRepr(v)} is not of type ${types.map((t) => pyRepr(t)).join(', ')}`);
    } else if (kw === 'pattern' && typeof v === 'string') {
      if (!new RegExp(arg as string).test(v)) yield fail(kw, `${pyRepr(v)} does not match ${pyRepr(arg)}`);
    } else if (kw === 'maxLength' && typeof v === 'string') {
      if ([...v].length > (arg as number)) yield fail(kw, `${pyRepr(v)} is too long`);
    } else if (kw === 'enum') {
      if (!(arg as unknown[]).includes(v as never)) yield fail(kw, `${pyRepr(v)} is not one of ${pyRepr(arg)}`);
    } else if (kw === 'minItems' && Array.isArray(v)) {
      if (v.length < (arg as number)) yield fail(kw, `${pyRepr(v)} should be non-empty`);
    } else if (kw === 'maxItems' && Array.isArray(v)) {
      if (v.length > (arg as number)) yield fail(kw, `${pyRepr(v)} is too long`);
    } else if (kw === 'items' && Array.isArray(v)) {
      for (let i = 0; i < v.length; i++) yield* check(arg as Schema, v[i], [...path, i], [...sp, 'items']);
    } else if (typeOk(v, 'object')) {
      const obj = v as Record<string, unknown>;
      if (kw === 'properties') {
        for (const [prop, sub] of Object.entries(arg as Record<string, Schema>)) {
          if (prop in obj) yield* check(sub, obj[prop], [...path, prop], [...sp, 'properties', prop]);
        }
      } else if (kw === 'required') {
        for (const prop of arg as string[]) if (!(prop in obj)) yield fail(kw, `${pyRepr(prop)} is a required property`);
      } else if (kw === 'additionalProperties' && arg === false) {
        const known = Object.keys((schema.properties ?? {}) as object);
        const extra = Object.keys(obj).filter((k) => !known.includes(k));
        if (extra.length) {
          const list = extra.map((k) => pyRepr(k)).join(', ');
          yield fail(kw, `Additional properties are not allowed (${list} ${extra.length === 1 ? 'was' : 'were'} unexpected)`);
        }
      }
    }
  }
}

const indent = (s: string): string => s.split('\n').map((l) => `    ${l}`).join('\n');
const pathText = (root: string, p: (string | number)[]): string => root + p.map((e) => `[${pyRepr(e)}]`).join('');

/** Throws InvalidObject ('Problem validating <name>: ...') when obj does not satisfy schema. */
export function validateSchema(name: string, schema: Schema, obj: unknown, status: number): void {
  let best: Failure | undefined;
  for (const f of check(schema, obj, [], [])) if (!best || f.path.length < best.path.length) best = f;
  if (!best) return;
  const text =
    `${best.message}\n\nFailed validating ${pyRepr(best.validator)} in ${pathText('schema', best.schemaPath)}:\n` +
    `${indent(pyPformat(best.schema))}\n\nOn ${pathText('instance', best.path)}:\n${indent(pyPformat(best.instance))}`;
  throw new RucioError(status, 'InvalidObject', `Problem validating ${name}: ${text}`);
}
