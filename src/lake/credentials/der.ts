// A small DER reader: enough of X.690 to walk certificates and VOMS attribute
// certificates (tags, definite lengths up to 4 bytes, OIDs, times), nothing more.

/** One DER element: its tag and where its content lies in the buffer. */
export interface DerNode {
  tag: number;
  /** First byte of the content. */
  start: number;
  /** One past the last byte of the content. */
  end: number;
}

/** The element whose header starts at `at`; throws on a malformed or truncated encoding. */
export function derNode(der: Buffer, at: number): DerNode {
  const tag = der[at] ?? -1;
  let length = der[at + 1] ?? 0;
  let start = at + 2;
  if (length & 0x80) {
    const bytes = length & 0x7f;
    if (bytes < 1 || bytes > 4) throw new Error('bad DER length');
    length = 0;
    for (let i = 0; i < bytes; i++) length = length * 256 + (der[start + i] ?? 0);
    start += bytes;
  }
  if (tag < 0 || start + length > der.length) throw new Error('truncated DER');
  return { tag, start, end: start + length };
}

/** Upper bound of the elements read inside one constructed element. */
const MAX_CHILDREN = 10_000;

/** The elements inside a constructed element, in order. */
export function derChildren(der: Buffer, node: DerNode): DerNode[] {
  const out: DerNode[] = [];
  for (let at = node.start; at < node.end && out.length < MAX_CHILDREN;) {
    const child = derNode(der, at);
    if (child.end > node.end) throw new Error('DER element overruns its parent');
    out.push(child);
    at = child.end;
  }
  return out;
}

export const derContent = (der: Buffer, node: DerNode): Buffer => der.subarray(node.start, node.end);

/** Dotted text of an OBJECT IDENTIFIER's content. */
export function oidText(bytes: Buffer): string {
  const parts: number[] = [];
  let value = 0;
  for (const b of bytes) {
    value = value * 128 + (b & 0x7f);
    if (!(b & 0x80)) {
      parts.push(value);
      value = 0;
    }
  }
  const first = parts.shift() ?? 0;
  const head = first < 80 ? [Math.floor(first / 40), first % 40] : [2, first - 80];
  return [...head, ...parts].join('.');
}

export const DER_TAG = {
  OCTET_STRING: 0x04, OID: 0x06, UTC_TIME: 0x17, GENERALIZED_TIME: 0x18, SEQUENCE: 0x30, SET: 0x31,
} as const;

/** A UTCTime (YYMMDDHHMMSSZ) or GeneralizedTime (YYYYMMDDHHMMSSZ) as a Date. */
export function derTime(der: Buffer, node: DerNode): Date {
  const text = derContent(der, node).toString('latin1');
  const m = (node.tag === DER_TAG.UTC_TIME ? /^(\d{2})(\d{2})(\d{2})(\d{2})(\d{2})(\d{2})Z$/ : /^(\d{4})(\d{2})(\d{2})(\d{2})(\d{2})(\d{2})(?:\.\d+)?Z$/).exec(text);
  if (!m) throw new Error(`bad DER time ${JSON.stringify(text.slice(0, 20))}`);
  const [year, month, day, hour, minute, second] = m.slice(1).map(Number) as [number, number, number, number, number, number];
  const fullYear = node.tag === DER_TAG.UTC_TIME ? (year < 50 ? 2000 + year : 1900 + year) : year;
  return new Date(Date.UTC(fullYear, month - 1, day, hour, minute, second));
}
