// Removes secrets from text before it reaches an OpResult, a log line or a report.
// Known values are removed exactly; everything else by shape, so that a token the
// caller did not know about (e.g. one echoed back by a server) is caught too.

export const REDACTED = '<redacted>';

/** Shapes of secrets, applied in order after the known values. */
const SHAPES: [RegExp, string][] = [
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
  // https://user:password@host
  [/\b([a-z][a-z0-9+.-]*:\/\/[^/\s:@]+:)[^@\s/]+@/gi, `$1${REDACTED}@`],
  // JWTs: base64url(JSON header) always starts with eyJ; the signature may be empty (alg none).
  [/\beyJ[A-Za-z0-9_-]+\.[A-Za-z0-9_-]{2,}\.[A-Za-z0-9_-]*/g, REDACTED],
  // Rucio opaque tokens: <account>-<identity>-<appid>-<uuid4 hex>. An x509 identity is a DN
  // with spaces, so only the tail is certain: require at least <something>-<appid>-<hex>.
  [/[^\s"'<>=]+-[^\s"'<>=-]+-[0-9a-f]{32}(?![0-9a-z])/gi, REDACTED],
];

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
  for (const [pattern, replacement] of SHAPES) out = out.replace(pattern, replacement);
  return out;
}
