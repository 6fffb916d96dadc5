// JUnit XML: a small XML writer with proper escaping, a generic suite/case renderer (reused by
// `lakeprobe probe`), and the mapping of a challenge report onto it (one testcase per test).
import type { ChallengeReport, TestReport } from './schema.js';

/** Characters XML 1.0 cannot carry at all, even escaped (controls other than tab/newline/CR, lone surrogates, U+FFFE/F). */
// eslint-disable-next-line no-control-regex -- matching control characters is the point
const INVALID_XML = /[\u0000-\u0008\u000B\u000C\u000E-\u001F\uFFFE\uFFFF]|[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/g;

/** Escapes text for element content or a double-quoted attribute; drops what XML cannot carry. */
export function escapeXml(text: string, inAttribute = false): string {
  const out = text.replace(INVALID_XML, '\uFFFD').replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
  return inAttribute
    ? out.replace(/"/g, '&quot;').replace(/'/g, '&apos;').replace(/\n/g, '&#10;').replace(/\r/g, '&#13;').replace(/\t/g, '&#9;')
    : out;
}

export interface XmlNode {
  name: string;
  attrs?: Record<string, string | number | undefined>;
  /** Elements and text (escaped when written). */
  children?: (XmlNode | string)[];
}

const NAME = /^[A-Za-z_][A-Za-z0-9_.-]*$/;

function writeNode(node: XmlNode, indent: string, out: string[]): void {
  if (!NAME.test(node.name)) throw new Error(`not an XML element name: "${node.name}"`);
  const attrs = Object.entries(node.attrs ?? {}).filter(([, v]) => v !== undefined).map(([k, v]) => {
    if (!NAME.test(k)) throw new Error(`not an XML attribute name: "${k}"`);
    return ` ${k}="${escapeXml(String(v), true)}"`;
  }).join('');
  const children = node.children ?? [];
  if (children.length === 0) {
    out.push(`${indent}<${node.name}${attrs}/>`);
  } else if (children.every((c) => typeof c === 'string')) {
    out.push(`${indent}<${node.name}${attrs}>${escapeXml(children.join(''))}</${node.name}>`);
  } else {
    out.push(`${indent}<${node.name}${attrs}>`);
    for (const c of children) {
      if (typeof c === 'string') out.push(`${indent}  ${escapeXml(c)}`);
      else writeNode(c, `${indent}  `, out);
    }
    out.push(`${indent}</${node.name}>`);
  }
}

/** The document: an XML declaration and the root element, indented by two spaces. */
export function renderXml(root: XmlNode): string {
  const out = ['<?xml version="1.0" encoding="UTF-8"?>'];
  writeNode(root, '', out);
  return `${out.join('\n')}\n`;
}

export interface JunitCase {
  name: string;
  classname: string;
  timeSeconds: number;
  /** A failed case: `type` is the error class, `message` one line, `details` the body. */
  failure?: { type: string; message: string; details?: string };
  skipped?: string;
  systemOut?: string;
}

export interface JunitSuite {
  name: string;
  timestamp?: string;
  cases: JunitCase[];
  properties?: Record<string, string>;
}

const secs = (n: number): string => Math.max(0, n).toFixed(3);

function caseNode(c: JunitCase): XmlNode {
  const children: XmlNode[] = [];
  if (c.failure) children.push({ name: 'failure', attrs: { type: c.failure.type, message: c.failure.message }, children: c.failure.details ? [c.failure.details] : [] });
  if (c.skipped !== undefined) children.push({ name: 'skipped', attrs: { message: c.skipped } });
  if (c.systemOut) children.push({ name: 'system-out', children: [c.systemOut] });
  return { name: 'testcase', attrs: { name: c.name, classname: c.classname, time: secs(c.timeSeconds) }, children };
}

/** `<testsuites>` with one `<testsuite>` per suite, counts and times summed as JUnit readers expect. */
export function renderJunit(name: string, suites: JunitSuite[]): string {
  const count = (s: JunitSuite, f: (c: JunitCase) => boolean): number => s.cases.filter(f).length;
  const time = (s: JunitSuite): number => s.cases.reduce((t, c) => t + c.timeSeconds, 0);
  const nodes = suites.map((s): XmlNode => ({
    name: 'testsuite',
    attrs: {
      name: s.name, tests: s.cases.length, failures: count(s, (c) => !!c.failure), errors: 0,
      skipped: count(s, (c) => c.skipped !== undefined), time: secs(time(s)), timestamp: s.timestamp,
    },
    children: [
      ...(s.properties && Object.keys(s.properties).length
        ? [{ name: 'properties', children: Object.entries(s.properties).map(([k, v]) => ({ name: 'property', attrs: { name: k, value: v } })) }]
        : []),
      ...s.cases.map(caseNode),
    ],
  }));
  return renderXml({
    name: 'testsuites',
    attrs: {
      name, tests: suites.reduce((n, s) => n + s.cases.length, 0),
      failures: suites.reduce((n, s) => n + count(s, (c) => !!c.failure), 0), errors: 0,
      time: secs(suites.reduce((t, s) => t + time(s), 0)),
    },
    children: nodes,
  });
}

function testCase(t: TestReport): JunitCase {
  const timeSeconds = t.firstAt && t.lastAt ? (Date.parse(t.lastAt) - Date.parse(t.firstAt)) / 1000 : 0;
  const base = {
    name: t.test, classname: t.experiment, timeSeconds,
    systemOut: t.criteria.map((c) => `${c.status}: ${c.text}${c.fullScale ? ` [full scale: ${c.fullScale}]` : ''} (${c.actual})`).join('\n'),
  };
  if (t.verdict === 'Completed') return base;
  if (t.verdict === 'Not run') return { ...base, skipped: 'nothing recorded for this test' };
  const top = t.topErrors[0];
  const type = t.verdict === 'Interrupted' ? 'interrupted' : t.verdict === 'Not verified' ? 'not_verified' : top?.errorClass ?? 'criteria_missed';
  const at = (e: TestReport['topErrors'][number]): string => (e.where ? ` on ${e.where}` : '');
  const message = `${t.verdict}: ${t.reasons.join('; ')}${top ? `; ${top.count}× ${top.errorClass}${at(top)}: ${top.example}` : ''}`;
  const details = t.topErrors.map((e) => `${e.count}× ${e.errorClass}${at(e)}: ${e.example}`).join('\n');
  return { ...base, failure: { type, message, details } };
}

/** One suite per experiment, one testcase per test; a failure carries the error class and message. */
export function junitSuitesFromReport(report: ChallengeReport, experiments = report.experiments): JunitSuite[] {
  return experiments.map((e) => ({
    name: e.name, timestamp: e.tests.map((t) => t.firstAt).filter(Boolean).sort()[0],
    properties: { verdict: e.verdict, runs: e.runs.join(' '), 'report verdict': report.verdict, ...(report.scale ? { scale: report.scale } : {}) },
    cases: e.tests.map(testCase),
  }));
}

export function junitFromReport(report: ChallengeReport, experiments = report.experiments): string {
  return renderJunit(report.name, junitSuitesFromReport(report, experiments));
}
