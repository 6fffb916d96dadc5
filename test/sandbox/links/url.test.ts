import { describe, expect, it } from 'vitest';
import { rewriteUrlPort } from '../../../src/sandbox/links/index.js';

describe('rewriteUrlPort', () => {
  const target = { host: '127.0.0.1', port: 8443 };

  it('changes only the port of an https URL, keeping the host name the certificate names', () => {
    expect(rewriteUrlPort('https://localhost:8443/data/f.dat?x=1#y', target, 9000)).toBe('https://localhost:9000/data/f.dat?x=1#y');
  });

  it('keeps the double slash of root:// paths and any userinfo', () => {
    expect(rewriteUrlPort('root://localhost:8443//data/f.dat', target, 9000)).toBe('root://localhost:9000//data/f.dat');
    expect(rewriteUrlPort('davs://u@127.0.0.1:8443/d', target, 9000)).toBe('davs://u@127.0.0.1:9000/d');
  });

  it('understands a URL that leaves out the default port of its scheme', () => {
    expect(rewriteUrlPort('https://localhost/f', { host: 'localhost', port: 443 }, 9000)).toBe('https://localhost:9000/f');
  });

  it('refuses a URL that points somewhere other than the link target', () => {
    expect(() => rewriteUrlPort('https://localhost:8444/f', target, 9000)).toThrow(/does not point at the link's target/);
    expect(() => rewriteUrlPort('https://example.org:8443/f', target, 9000)).toThrow(/does not point/);
    expect(() => rewriteUrlPort('/relative', target, 9000)).toThrow(/not an absolute URL/);
  });
});
