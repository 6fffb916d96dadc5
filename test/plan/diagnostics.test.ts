import { describe, expect, it } from 'vitest';
import { closest, didYouMean, formatDiagnostic, formatPath } from '../../src/plan/diagnostics.js';

describe('formatDiagnostic', () => {
  it('prints file:line:column, severity, path and message', () => {
    const text = formatDiagnostic({
      file: 'probes/x.yaml', line: 12, column: 9, path: 'experiments[0].tests[1].scenario',
      message: 'unknown scenario "uplaod" (known: upload)', severity: 'error',
    });
    expect(text).toBe('probes/x.yaml:12:9: error: experiments[0].tests[1].scenario: unknown scenario "uplaod" (known: upload)');
  });

  it('leaves the path out for whole-file problems', () => {
    const text = formatDiagnostic({ file: 'a.cfg', line: 3, column: 1, path: '', message: 'bad line', severity: 'warning' });
    expect(text).toBe('a.cfg:3:1: warning: bad line');
  });
});

describe('formatPath', () => {
  it('writes list indices in brackets and keys with dots', () => {
    expect(formatPath(['experiments', 0, 'tests', 1, 'params', 'size'])).toBe('experiments[0].tests[1].params.size');
    expect(formatPath([])).toBe('');
  });
});

describe('closest', () => {
  it('suggests a key one swap or one letter away', () => {
    expect(closest('nmae', ['name', 'tests'])).toBe('name');
    expect(closest('rucio_hots', ['rucio_host', 'auth_host'])).toBe('rucio_host');
    expect(didYouMean('sandbx', ['sandbox'])).toBe(' (did you mean "sandbox"?)');
  });

  it('stays silent when nothing is close', () => {
    expect(closest('colour', ['size', 'count'])).toBeUndefined();
    expect(didYouMean('abc', ['xyz'])).toBe('');
  });
});
