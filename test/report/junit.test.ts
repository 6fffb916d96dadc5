import { describe, expect, it } from 'vitest';
import { buildChallengeReport } from '../../src/report/challenge.js';
import { escapeXml, junitFromReport, renderJunit, renderXml } from '../../src/report/junit.js';
import { snapshotPlan } from '../../src/results/plan-snapshot.js';
import { KNOWN_RESULTS, knownPlan } from './known-store.js';

describe('XML writer', () => {
  it('escapes markup in text and, in attributes, quotes and line breaks too', () => {
    expect(escapeXml('a < b && c > "d" \'e\'')).toBe('a &lt; b &amp;&amp; c &gt; "d" \'e\'');
    expect(escapeXml('say "hi"\n\tbye \'x\'', true)).toBe('say &quot;hi&quot;&#10;&#9;bye &apos;x&apos;');
  });

  it('replaces characters XML 1.0 cannot carry, even escaped, and keeps astral ones', () => {
    expect(escapeXml('nul\u0000 bell\u0007 esc\u001b ok\u0009\u000a lone\ud800 pair\ud83d\ude00')).toBe('nul\ufffd bell\ufffd esc\ufffd ok\t\n lone\ufffd pair\ud83d\ude00');
  });

  it('writes nested elements, self-closes empty ones, skips undefined attributes and refuses bad names', () => {
    expect(renderXml({ name: 'a', attrs: { x: 1, y: undefined }, children: [{ name: 'b', children: ['<t>'] }, { name: 'c' }] }))
      .toBe('<?xml version="1.0" encoding="UTF-8"?>\n<a x="1">\n  <b>&lt;t&gt;</b>\n  <c/>\n</a>\n');
    expect(() => renderXml({ name: 'bad name' })).toThrow('not an XML element name');
    expect(() => renderXml({ name: 'a', attrs: { 'x"y': 1 } })).toThrow('not an XML attribute name');
  });
});

describe('JUnit', () => {
  it('sums tests, failures and skips per suite and overall', () => {
    const xml = renderJunit('nightly', [{
      name: 'probe', cases: [
        { name: 'ok', classname: 'probe', timeSeconds: 1.5 },
        { name: 'bad', classname: 'probe', timeSeconds: 0.25, failure: { type: 'tls', message: 'handshake <failed>', details: 'x & y' } },
        { name: 'skip', classname: 'probe', timeSeconds: 0, skipped: 'not configured' },
      ],
    }]);
    expect(xml).toContain('<testsuites name="nightly" tests="3" failures="1" errors="0" time="1.750">');
    expect(xml).toContain('<testsuite name="probe" tests="3" failures="1" errors="0" skipped="1" time="1.750">');
    expect(xml).toContain('<failure type="tls" message="handshake &lt;failed&gt;">x &amp; y</failure>');
    expect(xml).toContain('<skipped message="not configured"/>');
  });

  it('has one testcase per test of the report; failures carry the error class and message', () => {
    const report = buildChallengeReport({
      name: 'dac-mini', plans: new Map([['run-1', snapshotPlan(knownPlan())]]), results: KNOWN_RESULTS,
      runs: [{ runId: 'run-1', planName: 'dac-mini', planHash: '', startedAt: '', finishedAt: '', state: 'finished' }],
    });
    const xml = junitFromReport(report);
    expect(xml.match(/<testcase /g)).toHaveLength(4);
    expect(xml).toContain('<testcase name="upload" classname="SKA" time="962.000">');
    expect(xml).toContain('<failure type="embargo_violation" message="Failed: 1 critical result; no operation failed: 1 of 4 failed (25.0 %); 1× embargo_violation on SITE_A: an identity outside the embargo group read https://se-a.example/embargo/f1">');
    expect(xml).toContain('<failure type="rule_stuck" message="Partially: ');
    expect(xml).toContain('<skipped message="nothing recorded for this test"/>');
    expect(xml).toContain('<testsuite name="SKA" tests="4" failures="2" errors="0" skipped="1"');
  });
});
