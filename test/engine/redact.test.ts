import { describe, expect, it } from 'vitest';
import { redact } from '../../src/engine/redact.js';

// A syntactically real JWT (header {"alg":"RS256","typ":"JWT"}), signature shortened.
const JWT =
  'eyJhbGciOiJSUzI1NiIsInR5cCI6IkpXVCJ9.eyJzdWIiOiJhbGljZSIsInNjb3BlIjoic3RvcmFnZS5yZWFkOi8ifQ.c2lnbmF0dXJlLXBhcnQtb2YtdGhlLXRva2Vu';
const RUCIO_TOKEN = 'root-ddmlab-unknown-4f5e0c4e0b6a4b8d9e1f2a3b4c5d6e7f';

describe('redact', () => {
  it('removes known secret values, also in their URL-encoded form', () => {
    const out = redact('login with s3cr:t/pw failed (sent s3cr%3At%2Fpw)', ['s3cr:t/pw']);
    expect(out).toBe('login with <redacted> failed (sent <redacted>)');
  });

  it('ignores empty secrets instead of redacting everything', () => {
    expect(redact('nothing secret here', [''])).toBe('nothing secret here');
  });

  it('removes JWTs wherever they appear', () => {
    expect(redact(`token ${JWT} rejected`)).toBe('token <redacted> rejected');
  });

  it('removes unsigned JWTs (empty third part)', () => {
    expect(redact('eyJhbGciOiJub25lIn0.eyJzdWIiOiJhIn0. was sent')).toBe('<redacted> was sent');
  });

  it('keeps host names and dotted versions that are not JWTs', () => {
    const text = 'davs://dcache-door-doma01.desy.de:2880 xrootd 5.5.3 file a.b.c';
    expect(redact(text)).toBe(text);
  });

  it('removes the X-Rucio-Auth-Token header value and keeps the header name', () => {
    expect(redact(`X-Rucio-Auth-Token: ${RUCIO_TOKEN}\nX-Rucio-Account: root`)).toBe(
      'X-Rucio-Auth-Token: <redacted>\nX-Rucio-Account: root',
    );
  });

  it('removes Authorization and TransferHeaderAuthorization bearer values', () => {
    expect(redact(`Authorization: Bearer ${JWT}`)).toBe('Authorization: Bearer <redacted>');
    expect(redact('TransferHeaderAuthorization: Bearer abc.def')).toBe('TransferHeaderAuthorization: Bearer <redacted>');
  });

  it('removes a bare "Bearer <token>" outside a header', () => {
    expect(redact('sent Bearer opaque-token-123 to the door')).toBe('sent Bearer <redacted> to the door');
  });

  it('removes Rucio opaque tokens, also for x509 identities whose DN holds spaces', () => {
    expect(redact(`token ${RUCIO_TOKEN} expired`)).toBe('token <redacted> expired');
    const x509 = 'root-/DC=org/CN=John Doe-unknown-0123456789abcdef0123456789abcdef';
    expect(redact(x509)).not.toMatch(/0123456789abcdef0123456789abcdef/);
  });

  it('keeps 32-hex rule ids, which are not credentials', () => {
    const text = 'No rule with the id e3ac1c9cc27648df84173433d0b2ceed found';
    expect(redact(text)).toBe(text);
  });

  it('removes PEM private key blocks, also when the END line was cut off', () => {
    const pem = '-----BEGIN PRIVATE KEY-----\nMIIEvQIBADANBgkqhkiG9w0BAQEFAASC\n-----END PRIVATE KEY-----';
    expect(redact(`key: ${pem} (bad)`)).toBe('key: <redacted> (bad)');
    expect(redact('-----BEGIN RSA PRIVATE KEY-----\nMIIEow')).toBe('<redacted>');
  });

  it('keeps certificates, which are public', () => {
    const cert = '-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----';
    expect(redact(cert)).toBe(cert);
  });

  it('removes password= and token parameters from query strings', () => {
    expect(redact('https://h/p?user=alice&password=hunter2&x=1')).toBe('https://h/p?user=alice&password=<redacted>&x=1');
    expect(redact('GET /cb?code=1&access_token=abc')).toBe('GET /cb?code=1&access_token=<redacted>');
  });

  it('removes authz= CGI values of root:// URLs', () => {
    expect(redact('root://host:1094//data/f?authz=Bearer%20abc&oss.asize=10')).toBe(
      'root://host:1094//data/f?authz=<redacted>&oss.asize=10',
    );
  });

  it('removes passwords from URL userinfo', () => {
    expect(redact('https://alice:hunter2@rucio.example.org/auth')).toBe('https://alice:<redacted>@rucio.example.org/auth');
  });

  it('leaves text without secrets unchanged', () => {
    const text = 'TRANSFER [2] DESTINATION CHECKSUM HTTP 404 : File not found';
    expect(redact(text)).toBe(text);
  });

  describe('on 1 MB strings without whitespace (a hostile test name)', () => {
    const MB = 1_000_000;
    const filler = (unit: string): string => unit.repeat(Math.ceil(MB / unit.length)).slice(0, MB);

    it.each(['x', 'a-', 'a.', 'eyJ-', 'a:', '0123456789abcdef', 'https://'])('returns %j repeated unchanged', (unit) => {
      const text = filler(unit);
      expect(redact(text)).toBe(text);
    });

    it('still finds a JWT, a Rucio token and a URL password inside one', () => {
      const text = `${filler('a-').slice(0, MB / 2)}|${JWT}|${RUCIO_TOKEN}|https://u:pw@h|${filler('b.').slice(0, MB / 2)}`;
      const out = redact(text);
      expect(out).not.toContain(JWT);
      expect(out).not.toContain('4f5e0c4e0b6a4b8d9e1f2a3b4c5d6e7f');
      expect(out).toContain('|https://u:<redacted>@h|');
      expect(out.length).toBeLessThan(text.length);
    });
  });
});
