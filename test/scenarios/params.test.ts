import { describe, expect, it } from 'vitest';
import { builtinScenarios } from '../../src/scenarios.js';
import { MAX_FILE_SIZE, sizeParam } from '../../scenarios/steps.js';

describe('scenario size parameters', () => {
  it('take byte counts and unit strings up to 1 TiB', () => {
    expect(sizeParam.parse('5GB')).toBe(5e9);
    expect(sizeParam.parse('1TiB')).toBe(MAX_FILE_SIZE);
    expect(sizeParam.parse(1024)).toBe(1024);
  });

  it.each([['5TB'], [1_000_000_000_000_000]])('refuse %s, naming the bound, in the scenario params that use it', (size) => {
    const result = sizeParam.safeParse(size);
    expect(result.success).toBe(false);
    expect(result.error?.issues[0]?.message).toBe(`at most 1 TiB per file (${MAX_FILE_SIZE} bytes); got ${size}`);
    const upload = builtinScenarios().get('upload');
    expect(upload?.params.safeParse({ size }).success).toBe(false);
  });
});
