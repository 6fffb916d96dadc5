import { describe, expect, it } from 'vitest';
import { cronProblem } from '../../src/plan/index.js';

describe('cronProblem', () => {
  it.each([
    '*/30 * * * *',
    '0 3 * * MON-FRI',
    '15 0,12 1-15 jan-jun 0',
    '30 */5 * * * 7',
    '0 0 1 DEC *',
  ])('accepts %s', (expression) => {
    expect(cronProblem(expression)).toBeNull();
  });

  it.each([
    ['* * * *', 'cron expression needs 5 or 6 fields, got 4'],
    ['* * * * * * *', 'cron expression needs 5 or 6 fields, got 7'],
    ['61 * * * *', 'cron minute field "61": "61" is not in 0-59'],
    ['0 0 0 * *', 'cron day-of-month field "0": "0" is not in 1-31'],
    ['*/0 * * * *', 'cron minute field "*/0": step must be a positive integer'],
    ['0 10-2 * * *', 'cron hour field "10-2": range start is after its end'],
    ['0 0 * FOO *', 'cron month field "FOO": "FOO" is not in 1-12'],
    ['0 0 * * 1,,2', 'cron day-of-week field "1,,2" is malformed'],
    ['60 * * * * *', 'cron second field "60": "60" is not in 0-59'],
  ])('refuses %s', (expression, message) => {
    expect(cronProblem(expression)).toBe(message);
  });
});
