// Removes secrets from text before it reaches an OpResult, a log line or a report.
// Known values are removed exactly; everything else by shape, so that a token the
// caller did not know about (e.g. one echoed back by a server) is caught too.

export const REDACTED = '<redacted>';

/** A shape of secret: a pattern and its replacement, or a function doing the same. */
type Shape = [RegExp, string] | ((text: string) => string);

/**
 * Shapes of secrets, applied in order after the known values. Every one runs in time
 * linear in the text: no pattern may rescan a long run of characters from each of its
 * positions (a 1 MB name without blanks must not take minutes).
 */
const SHAPES: Shape[] = [
  // PEM private keys, also when the END line was cut off.
  [/-----BEGIN ([A-Z0-9 ]*)PRIVATE KEY-----[\s\S]*?(?:-----END \1PRIVATE KEY-----|$)/g, REDACTED],
  // Header-style credentials; the scheme word (Bearer, Basic) is kept, it helps reading.
  [
    /\b((?:X-Rucio-Auth-Token|X-Rucio-Password|(?:TransferHeader)?Authorization|Proxy-Authorization|Cookie|Set-Cookie)\s*[:=]\s*(?:(?:Bearer|Basic|Negotiate)\s+)?)[^\s,;"']+/gi,
    `$1${REDACTED}`,
  ],
  [/\b(Bearer\s+)[A-Za-z0-9._~+/=-]+/g, `$1${REDACTED}`],
  // Query strings and XRootD CGI (authz= carries the bearer token over root://).
  [
    /([?&;\s]|^)((?:password|passwd|pwd|pass|authz|access_token|refresh_token|id_token|client_secret|token)=)[^&\s"'#]+/gi,
    `$1$2${REDACTED}`,
  ],
  redactUrlPasswords,
  redactJwts,
  redactRucioTokens,
];

const URL_USERINFO = /:\/\/([^/\s:@]+:)[^@\s/]+@/g;
const SCHEME_CHAR = /[a-z0-9+.-]/i;
const WORD_CHAR = /\w/;

/**
 * https://user:password@host, as /\b([a-z][a-z0-9+.-]*:\/\/[^/\s:@]+:)[^@\s/]+@/gi did, but
 * found from the "://" so that a long run of scheme characters is not rescanned from each
 * of its word boundaries: a scheme precedes it when some letter in the run before it
 * starts a word.
 */
function redactUrlPasswords(text: string): string {
  if (!text.includes('://')) return text;
  return text.replace(URL_USERINFO, (match: string, user: string, at: number) =>
    (hasScheme(text, at) ? `://${user}${REDACTED}@` : match));
}

function hasScheme(text: string, end: number): boolean {
  for (let p = end - 1; p >= 0 && SCHEME_CHAR.test(text[p] as string); p--) {
    const before = p > 0 ? (text[p - 1] as string) : '';
    if (/[a-z]/i.test(text[p] as string) && (before === '' || !WORD_CHAR.test(before))) return true;
  }
  return false;
}

/**
 * JWTs: base64url(JSON header) always starts with eyJ; the signature may be empty (alg
 * none). Header: eyJ at a word boundary and at least one more character, then a
 * payload of two or more, then the signature, the parts separated by dots. Found per
 * dot-separated segment so that each character is looked at a bounded number of times.
 */
function redactJwts(text: string): string {
  if (!text.includes('eyJ')) return text;
  return text.replace(/[A-Za-z0-9_.-]+/g, (run) => {
    if (!run.includes('eyJ')) return run;
    const segments = run.split('.');
    const out: string[] = [];
    for (let k = 0; k < segments.length; k++) {
      const segment = segments[k] as string;
      const at = jwtStart(segment);
      const payload = segments[k + 1];
      if (at >= 0 && payload !== undefined && payload.length >= 2 && k + 2 < segments.length) {
        out.push(`${segment.slice(0, at)}${REDACTED}`);
        k += 2;
      } else out.push(segment);
    }
    return out.join('.');
  });
}

/** Where a JWT header starts in a dot-free segment: "eyJ" at a word boundary with more after it; -1 if nowhere. */
function jwtStart(segment: string): number {
  for (let at = segment.indexOf('eyJ'); at >= 0; at = segment.indexOf('eyJ', at + 1)) {
    if (at === 0 || segment[at - 1] === '-') return segment.length - at >= 4 ? at : -1;
  }
  return -1;
}

const RUCIO_TAIL = /-[^-\s"'<>=]+-[0-9a-f]{32}(?![0-9a-z])/gi;

/**
 * Rucio opaque tokens: <account>-<identity>-<appid>-<uuid4 hex>. An x509 identity is a DN
 * with spaces, so only the tail is certain: require at least <something>-<appid>-<hex>.
 * As /[^\s"'<>=]+-[^\s"'<>=-]+-[0-9a-f]{32}(?![0-9a-z])/gi did: within each run without
 * separators, everything up to the last such tail goes.
 */
function redactRucioTokens(text: string): string {
  return text.replace(/[^\s"'<>=]+/g, (run) => {
    if (run.length < 36) return run;
    // Tails may overlap (-a-<hex>-<hex>): each dash is tried once, so this stays linear.
    let end = -1;
    RUCIO_TAIL.lastIndex = 0;
    for (let m = RUCIO_TAIL.exec(run); m; m = RUCIO_TAIL.exec(run)) {
      if (m.index > 0) end = Math.max(end, m.index + m[0].length);
      RUCIO_TAIL.lastIndex = m.index + 1;
    }
    return end < 0 ? run : `${REDACTED}${run.slice(end)}`;
  });
}

function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

/** Replaces known secret values and anything shaped like a credential with `<redacted>`. */
export function redact(text: string, secrets: readonly string[] = []): string {
  let out = text;
  const known = secrets
    .filter((s) => s.length > 0)
    .flatMap((s) => (encodeURIComponent(s) === s ? [s] : [s, encodeURIComponent(s)]))
    .sort((a, b) => b.length - a.length);
  if (known.length > 0) out = out.replace(new RegExp(known.map(escapeRegExp).join('|'), 'g'), REDACTED);
  for (const shape of SHAPES) out = typeof shape === 'function' ? shape(out) : out.replace(shape[0], shape[1]);
  return out;
}
