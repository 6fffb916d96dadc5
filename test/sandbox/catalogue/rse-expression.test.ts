import { describe, expect, it } from 'vitest';
import { RucioError } from '../../../src/sandbox/catalogue/errors.js';
import type { RseFacts } from '../../../src/sandbox/catalogue/rse-expression.js';
import { evaluateExpression } from '../../../src/sandbox/catalogue/rse-expression.js';

function rse(name: string, attributes: Record<string, unknown>, rseType = 'DISK'): RseFacts {
  return { id: `id-${name}`, name, columns: { rse: name, rse_type: rseType, deterministic: true }, attributes: { [name]: true, ...attributes } };
}

const universe: RseFacts[] = [
  rse('CERN-DISK', { tier: '0', country: 'CH', istape: false, freespace: '5000' }),
  rse('DESY-DISK', { tier: '1', country: 'DE', istape: false, freespace: '200' }),
  rse('DESY-TAPE', { tier: '1', country: 'DE', istape: true, freespace: 'lots' }, 'TAPE'),
  rse('PIC-SCRATCH', { tier: '2', country: 'ES', type: 'SCRATCHDISK' }),
];

const names = (expr: string): string[] => evaluateExpression(expr, universe).map((r) => r.name);

function failure(expr: string): string {
  try {
    evaluateExpression(expr, universe);
  } catch (e) {
    expect(e).toBeInstanceOf(RucioError);
    expect((e as RucioError).exceptionClass).toBe('InvalidRSEExpression');
    expect((e as RucioError).status).toBe(400);
    return (e as RucioError).message;
  }
  throw new Error(`'${expr}' did not fail`);
}

describe('RSE expressions', () => {
  it('selects an RSE by its name (the attribute every RSE has)', () => {
    expect(names('DESY-TAPE')).toEqual(['DESY-TAPE']);
  });

  it('compares key=value on attributes as strings, booleans as true/false', () => {
    expect(names('country=DE')).toEqual(['DESY-DISK', 'DESY-TAPE']);
    expect(names('istape=true')).toEqual(['DESY-TAPE']);
    expect(names('istape=False')).toEqual(['CERN-DISK', 'DESY-DISK']);
  });

  it('compares key=value on an RSE column instead of an attribute', () => {
    expect(names('rse_type=TAPE')).toEqual(['DESY-TAPE']);
  });

  it('compares key<n and key>n numerically, skipping values that are not numbers', () => {
    expect(names('freespace>1000')).toEqual(['CERN-DISK']);
    expect(names('freespace<1000')).toEqual(['DESY-DISK']);
  });

  it('takes * as every RSE and applies union, intersection and difference', () => {
    expect(names('*')).toHaveLength(4);
    expect(names('tier=0|tier=2')).toEqual(['CERN-DISK', 'PIC-SCRATCH']);
    expect(names('country=DE&istape=true')).toEqual(['DESY-TAPE']);
    expect(names('*\\istape=true')).toEqual(['CERN-DISK', 'DESY-DISK', 'PIC-SCRATCH']);
  });

  it('applies operators strictly left to right unless parentheses group them', () => {
    expect(names('tier=0|tier=1&istape=true')).toEqual(['DESY-TAPE']);
    expect(names('tier=0|(tier=1&istape=true)')).toEqual(['CERN-DISK', 'DESY-TAPE']);
    expect(names('((country=DE)\\DESY-TAPE)|PIC-SCRATCH')).toEqual(['DESY-DISK', 'PIC-SCRATCH']);
  });

  it('reports unbalanced parentheses', () => {
    expect(failure('QOS==(FAST')).toBe('Problem with parentheses.');
    expect(failure('tier=1)|(tier=2')).toBe('Problem with parentheses.');
  });

  it('reports syntax errors: spaces, dangling operators, dots in values', () => {
    for (const expr of ['tier=1 | tier=2', 'tier=1&', '|tier=1', 'site=a.b', '']) {
      expect(failure(expr)).toBe('Expression does not comply to RSE Expression syntax');
    }
  });

  it('reports an empty result', () => {
    expect(failure('country=FR')).toBe('RSE Expression resulted in an empty set.');
    expect(failure('CERN-DISK&DESY-DISK')).toBe('RSE Expression resulted in an empty set.');
  });
});
