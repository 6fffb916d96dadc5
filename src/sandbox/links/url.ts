const DEFAULT_PORTS: Record<string, number> = {
  'http:': 80, 'dav:': 80, 'https:': 443, 'davs:': 443, 'root:': 1094, 'roots:': 1094, 'xroot:': 1094,
};

const LOOPBACK_NAMES = new Set(['localhost', '127.0.0.1', '[::1]', '::1']);

function sameHost(a: string, b: string): boolean {
  return a.toLowerCase() === b.toLowerCase() || (LOOPBACK_NAMES.has(a.toLowerCase()) && LOOPBACK_NAMES.has(b.toLowerCase()));
}

/**
 * Points a URL of `target` at `port` instead, keeping everything else as written
 * (the host name stays, so TLS still verifies the real server's certificate).
 * The authority is replaced textually: for schemes like root:// the URL class
 * would not keep the `//path` form intact.
 */
export function rewriteUrlPort(original: string, target: { host: string; port: number }, port: number): string {
  let url: URL;
  try {
    url = new URL(original);
  } catch {
    throw new TypeError(`not an absolute URL: ${original}`);
  }
  const urlPort = url.port === '' ? DEFAULT_PORTS[url.protocol] : Number(url.port);
  if (urlPort !== target.port || !sameHost(url.hostname, target.host)) {
    throw new RangeError(`${original} does not point at the link's target ${target.host}:${target.port}`);
  }
  const authority = /^([a-z][a-z0-9+.-]*:\/\/)([^/?#]*)/i.exec(original);
  if (!authority) throw new TypeError(`URL without an authority: ${original}`);
  const [whole, scheme, hostPort] = authority as unknown as [string, string, string];
  const userinfo = hostPort.includes('@') ? hostPort.slice(0, hostPort.lastIndexOf('@') + 1) : '';
  const host = hostPort.slice(userinfo.length).replace(/:\d*$/, '');
  return `${scheme}${userinfo}${host}:${port}${original.slice(whole.length)}`;
}
