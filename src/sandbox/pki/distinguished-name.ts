import { x509 } from './x509.js';

// Grid tools (gridmap files, XRootD, voms) print DNs in the OpenSSL "slash" form.
const SLASH_NAMES: Record<string, string> = { E: 'emailAddress' };

/** '/DC=org/DC=lakeprobe/CN=Alice Member' for a certificate name. */
export function slashDn(name: x509.Name): string {
  return name
    .toJSON()
    .flatMap((rdn) =>
      Object.entries(rdn).flatMap(([type, values]) =>
        values.map((value) => `/${SLASH_NAMES[type] ?? type}=${value}`),
      ),
    )
    .join('');
}

/** True when `subject` is `issuer` followed by exactly one CN (an RFC 3820 proxy name). */
export function extendsByOneCn(subject: x509.Name, issuer: x509.Name): boolean {
  const s = subject.toJSON();
  const i = issuer.toJSON();
  const last = s[s.length - 1];
  if (s.length !== i.length + 1 || !last) return false;
  const lastTypes = Object.keys(last);
  if (lastTypes.length !== 1 || lastTypes[0] !== 'CN') return false;
  return i.every((rdn, k) => JSON.stringify(rdn) === JSON.stringify(s[k]));
}

function derLength(length: number): Uint8Array {
  if (length < 0x80) return Uint8Array.of(length);
  const bytes: number[] = [];
  for (let n = length; n > 0; n = Math.floor(n / 256)) bytes.unshift(n % 256);
  return Uint8Array.of(0x80 | bytes.length, ...bytes);
}

function sequenceContent(der: Uint8Array): Uint8Array {
  if (der[0] !== 0x30) throw new Error('distinguished name is not a DER SEQUENCE');
  const first = der[1] ?? 0;
  const headerLength = first < 0x80 ? 2 : 2 + (first & 0x7f);
  return der.subarray(headerLength);
}

/**
 * The name with one more RDN, CN=<cn>, appended. The existing RDNs are kept byte for
 * byte so that the result extends the original exactly (what RFC 3820 proxies need).
 */
export function appendCommonName(name: x509.Name, cn: string): x509.Name {
  const base = sequenceContent(new Uint8Array(name.toArrayBuffer()));
  const extra = sequenceContent(new Uint8Array(new x509.Name([{ CN: [cn] }]).toArrayBuffer()));
  const content = new Uint8Array(base.length + extra.length);
  content.set(base, 0);
  content.set(extra, base.length);
  const header = Uint8Array.of(0x30, ...derLength(content.length));
  const der = new Uint8Array(header.length + content.length);
  der.set(header, 0);
  der.set(content, header.length);
  return new x509.Name(der);
}
