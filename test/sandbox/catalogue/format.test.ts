import { describe, expect, it } from 'vitest';
import { RucioError, errorHeaderMessage, errorReply } from '../../../src/sandbox/catalogue/errors.js';
import { flaskJson, pyDatetimeRepr, pyJson, pyRepr, rucioDate } from '../../../src/sandbox/catalogue/format.js';
import { DIDS, validateSchema } from '../../../src/sandbox/catalogue/schema.js';

function validationMessage(obj: unknown): string {
  try {
    validateSchema('dids', DIDS, obj, 500);
  } catch (e) {
    expect((e as RucioError).exceptionClass).toBe('InvalidObject');
    return (e as RucioError).message;
  }
  throw new Error('validation passed');
}

describe('catalogue wire formats', () => {
  it('renders JSON as Python json.dumps and as Flask jsonify', () => {
    const v = { b: 1, a: [true, null], 'é': 'ü' };
    expect(pyJson(v)).toBe('{"b": 1, "a": [true, null], "\\u00e9": "\\u00fc"}');
    expect(flaskJson(v)).toBe('{"a":[true,null],"b":1,"\\u00e9":"\\u00fc"}');
  });

  it('renders dates as Rucio does, and datetimes as Python repr', () => {
    const ms = Date.UTC(2026, 10, 25, 1, 4, 23, 804);
    expect(rucioDate(ms)).toBe('Wed, 25 Nov 2026 01:04:23 UTC');
    expect(pyDatetimeRepr(ms)).toBe('datetime.datetime(2026, 11, 25, 1, 4, 23, 804000)');
    expect(pyDatetimeRepr(Date.UTC(2026, 10, 25, 1, 4, 0))).toBe('datetime.datetime(2026, 11, 25, 1, 4)');
    expect(pyRepr({ s: "it's", n: null, t: true })).toBe(`{'s': "it's", 'n': None, 't': True}`);
  });

  it('puts a one-line message cut at 125 characters in the ExceptionMessage header', () => {
    const long = `first line\n${'x'.repeat(200)}`;
    expect(errorHeaderMessage(long)).toBe(`first line ${'x'.repeat(114)}...`);
    const reply = errorReply(new RucioError(404, 'RuleNotFound', long));
    expect(reply.headers.ExceptionMessage).toHaveLength(128);
    expect(JSON.parse(reply.body)).toEqual({ ExceptionClass: 'RuleNotFound', ExceptionMessage: long });
  });

  it('explains schema failures as jsonschema does, shallowest error first', () => {
    expect(validationMessage([{ scope: 'test', name: 'f', extra: 1, adler32: 'zz' }]).split('\n')[0])
      .toBe("Problem validating dids: Additional properties are not allowed ('extra' was unexpected)");
    expect(validationMessage([{ name: 'f' }])).toContain("'scope' is a required property\n\nFailed validating 'required' in schema['items']:");
    expect(validationMessage([])).toContain('[] should be non-empty');
    expect(validationMessage([{ scope: 'test', name: 'f', bytes: '10' }])).toContain("'10' is not of type 'integer'");
  });
});
