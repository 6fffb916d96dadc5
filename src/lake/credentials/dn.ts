// Subject DN forms, from node's X509Certificate#subject: one RDN per line, most
// significant first, values escaped per RFC 2253, multi-valued RDNs joined by " + ".

export interface SubjectForms {
  /** RFC 2253: least significant RDN first, comma-separated ('CN=alice,DC=org'). */
  rfc2253: string;
  /** OpenSSL/grid slash form, most significant first ('/DC=org/CN=alice'). */
  slash: string;
}

export function subjectForms(nodeSubject: string): SubjectForms {
  const rdns = nodeSubject.split('\n').filter(Boolean).map((line) => line.split(' + '));
  return {
    rfc2253: [...rdns].reverse().map((avas) => avas.join('+')).join(','),
    slash: rdns.map((avas) => `/${avas.map(unescapeAva).join('+')}`).join(''),
  };
}

function unescapeAva(ava: string): string {
  const eq = ava.indexOf('=');
  return eq < 0 ? ava : `${ava.slice(0, eq + 1)}${unescapeValue(ava.slice(eq + 1))}`;
}

/** Undo RFC 2253 escaping: `\,` → `,` and `\C3\9C` → the UTF-8 bytes they stand for. */
function unescapeValue(value: string): string {
  const bytes: number[] = [];
  for (let i = 0; i < value.length; ) {
    const hex = /^\\([0-9A-Fa-f]{2})/.exec(value.slice(i));
    if (hex) {
      bytes.push(parseInt(hex[1]!, 16));
      i += 3;
      continue;
    }
    if (value[i] === '\\' && i + 1 < value.length) i++;
    const char = String.fromCodePoint(value.codePointAt(i)!);
    bytes.push(...Buffer.from(char, 'utf8'));
    i += char.length;
  }
  return Buffer.from(bytes).toString('utf8');
}
