import { describe, expect, it } from 'vitest';
import { expandPath, parseIni } from '../../src/plan/rucio-cfg.js';

describe('parseIni', () => {
  it('reads sections, both separators, comments and continuation lines, with line numbers', () => {
    const text = '# comment\n[client]\nrucio_host = https://r.example.org\nAccount: root\n; note\nca_cert = /a\n  /b\n[DEFAULT]\nvo = def\n';
    const { sections, lines, problems } = parseIni(text);
    expect(sections).toEqual({
      client: { rucio_host: 'https://r.example.org', account: 'root', ca_cert: '/a\n/b' },
      DEFAULT: { vo: 'def' },
    });
    expect(lines.client).toEqual({ rucio_host: 3, account: 4, ca_cert: 6 });
    expect(problems).toEqual([]);
  });

  it('reports lines it cannot read and keys outside a section', () => {
    const { problems } = parseIni('orphan = 1\n[client]\nnonsense\n');
    expect(problems).toEqual([
      { line: 1, message: 'key outside of any [section]' },
      { line: 3, message: 'cannot parse line "nonsense" (expected key = value)' },
    ]);
  });
});

describe('expandPath', () => {
  it('expands $VAR, ${VAR} and ~ as Rucio does for certificate paths, leaving unknown variables', () => {
    const env = { HOME: '/home/alice', X509_USER_PROXY: '/tmp/x509up_u1000' };
    expect(expandPath('$X509_USER_PROXY', env)).toBe('/tmp/x509up_u1000');
    expect(expandPath('${HOME}/.globus/usercert.pem', env)).toBe('/home/alice/.globus/usercert.pem');
    expect(expandPath('~/.globus/userkey.pem', env)).toBe('/home/alice/.globus/userkey.pem');
    expect(expandPath('$NOPE/x', env)).toBe('$NOPE/x');
  });
});
