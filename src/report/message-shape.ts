// The shape of an error message: what stays the same when one root cause strikes many files,
// rules and places. Only whole tokens that name one occurrence (a URL, an address, a time, an
// id, a number, a DID, this run's probe names, the RSE the result acted on) become labelled
// placeholders; a word is never cut apart ("x509" and "adler32" stay, "127.0.0.1:33299" is one
// <address>, never "<n>.<n>:<n>").

/** Names of the place a message came from: replaced as whole tokens by `<rse>`. */
export interface MessagePlace { rses?: readonly string[]; runId?: string }

const HTTP_DATE = /\b(?:Mon|Tue|Wed|Thu|Fri|Sat|Sun), \d{1,2} [A-Z][a-z]{2} \d{4} \d{2}:\d{2}:\d{2}(?: (?:UTC|GMT))?/g;
const URL = /^[a-z][a-z0-9+.-]*:\/\/\S+$/i;
const ISO_TIME = /^\d{4}-\d{2}-\d{2}(?:[T ][\d:.]+(?:Z|[+-]\d{2}:?\d{2})?)?$/;
const CLOCK = /^\d{2}:\d{2}:\d{2}(?:\.\d+)?$/;
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
const HEX_ID = /^(?=[0-9a-f]*\d)(?=[0-9a-f]*[a-f])[0-9a-f]{8,}$|^[0-9a-f]{32}$/i;
const NUMBER = /^[-+]?\d+(?:\.\d+)?(?:e[-+]?\d+)?(ms|s|min|h|B|KiB|MiB|GiB|TiB|kB|MB|GB|TB|%)?$/;
const IP = /^\d{1,3}(?:\.\d{1,3}){3}(?::\d+)?$|^\[[0-9a-f:]+\](?::\d+)?$/i;
const HOST_PORT = /^[A-Za-z0-9_.-]+:\d+$/;
const DID = /^[A-Za-z0-9_.-]+:[A-Za-z0-9_.\-/]+$/;
const LEAD = /^[("'`[{<]+/;
const TRAIL = /[)"'`\]}>,;:.!?]+$/;

function shapeOf(token: string, place: MessagePlace): string {
  if (URL.test(token)) return '<url>';
  if (IP.test(token) || HOST_PORT.test(token)) return '<address>';
  if (ISO_TIME.test(token) || CLOCK.test(token)) return '<time>';
  if (UUID.test(token) || HEX_ID.test(token)) return '<id>';
  const n = NUMBER.exec(token);
  if (n) return `<n>${n[1] ?? ''}`;
  if (place.rses?.includes(token)) return '<rse>';
  if (DID.test(token)) return '<did>';
  if (place.runId && token.includes(place.runId)) return '<name>';
  return token;
}

/** The message with each token that names one occurrence replaced by a placeholder: the grouping key of "why things failed". */
export function normaliseMessage(message: string, place: MessagePlace = {}): string {
  return message
    .replace(HTTP_DATE, '<time>')
    .split(/\s+/)
    .filter(Boolean)
    .map((word) => {
      const lead = LEAD.exec(word)?.[0] ?? '';
      const rest = word.slice(lead.length);
      // A URL keeps its own trailing characters; other tokens lose closing punctuation to the shape.
      if (URL.test(rest)) return `${lead}<url>${/[)"'`\]},;]+$/.exec(rest)?.[0] ?? ''}`;
      const trail = TRAIL.exec(rest)?.[0] ?? '';
      const core = rest.slice(0, rest.length - trail.length);
      return core ? `${lead}${shapeOf(core, place)}${trail}` : word;
    })
    .join(' ');
}
