// A minimal real XRootD server for the root and gfal driver tests: root:// (gsi + ztn)
// and HTTPS/WebDAV (XrdHttp, client certificates mapped by a gridmap) on free ports,
// authorization by authdb and SciTokens, a throw-away RSA PKI made with openssl.
// XRootD listens on all interfaces (it has no bind-address directive): the ports are
// chosen free on 127.0.0.1 and the server lives only as long as one test file.
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { chmodSync, chownSync, copyFileSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { exportJWK, generateKeyPair, SignJWT, type CryptoKey } from 'jose';

/** Users of the throw-away PKI: `alice` is in the gridmap and the authdb, `mallory` in neither, `eve` is from an untrusted CA. */
export interface TestProxies {
  alice: string;
  mallory: string;
  eve: string;
  aliceExpired: string;
}

export interface XrootdServer {
  /** `root://localhost:<port>` — gsi checks the host certificate's CN (localhost) against the name used. */
  rootUrl: string;
  /** `davs://localhost:<port>`. */
  davsUrl: string;
  caPem: string;
  /** A hashed trust directory (`<hash>.0`), as X509_CERT_DIR. */
  certDir: string;
  dataDir: string;
  /** Proxy files (proxy, key, user certificate). */
  proxies: TestProxies;
  /** alice's plain certificate and key. */
  aliceCert: { certPath: string; keyPath: string };
  audience: string;
  /** A WLCG token for `scope` (e.g. 'storage.read:/ storage.create:/'), signed by the trusted issuer. */
  mintToken(scope: string, opts?: { expiresInSeconds?: number; audience?: string }): Promise<string>;
  /** Kill the server at once (SIGKILL), as a crash would; stop() still cleans up. */
  crash(): void;
  stop(): Promise<void>;
}

const ISSUER = 'https://issuer.lakeprobe.invalid';
const AUDIENCE = 'lakeprobe-xrootd-test';

function openssl(dir: string, args: string[]): void {
  execFileSync('openssl', args, { cwd: dir, stdio: ['ignore', 'ignore', 'pipe'] });
}

const RSA = ['-newkey', 'rsa:2048', '-nodes'];
let serial = 1;

function makeCa(dir: string, name: string): void {
  openssl(dir, ['req', '-x509', ...RSA, '-keyout', `${name}.key`, '-out', `${name}.pem`, '-days', '2', '-subj', `/O=lakeprobe-test/CN=${name}`]);
}

function sign(dir: string, name: string, subject: string, issuer: string, extensions: string, days = '2'): void {
  writeFileSync(join(dir, `${name}.ext`), extensions);
  openssl(dir, ['req', ...RSA, '-keyout', `${name}.key`, '-out', `${name}.csr`, '-subj', subject]);
  openssl(dir, ['x509', '-req', '-in', `${name}.csr`, '-CA', `${issuer}.pem`, '-CAkey', `${issuer}.key`,
    '-set_serial', String(serial++), '-days', days, '-out', `${name}.pem`, '-extfile', `${name}.ext`]);
}

const HOST_EXT = 'subjectAltName=DNS:localhost,IP:127.0.0.1\nextendedKeyUsage=serverAuth,clientAuth\nbasicConstraints=CA:FALSE\nkeyUsage=digitalSignature,keyEncipherment\n';
const USER_EXT = 'extendedKeyUsage=clientAuth\nbasicConstraints=CA:FALSE\nkeyUsage=digitalSignature,keyEncipherment\n';
const PROXY_EXT = 'proxyCertInfo=critical,language:id-ppl-inheritAll\nkeyUsage=critical,digitalSignature,keyEncipherment\n';

/** An RFC 3820 proxy of `user` as grid tools store it: proxy, its key, the user certificate. */
function makeProxy(dir: string, user: string, ca: string, days = '1'): string {
  sign(dir, user, `/O=lakeprobe-test/CN=${user}`, ca, USER_EXT);
  sign(dir, `${user}-proxy`, `/O=lakeprobe-test/CN=${user}/CN=${serial}`, user, PROXY_EXT, days);
  const path = join(dir, `${user}.proxy`);
  const read = (f: string): string => readFileSync(join(dir, f), 'utf8');
  writeFileSync(path, read(`${user}-proxy.pem`) + read(`${user}-proxy.key`) + read(`${user}.pem`), { mode: 0o600 });
  return path;
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as AddressInfo;
      server.close(() => resolve(port));
    });
  });
}

/** xrootd refuses to run as root; as root we let it switch to its own user, who must own its files. */
function serviceUser(): { uid: number; gid: number } | null {
  if (process.getuid?.() !== 0) return null;
  const ids = (flag: string): number => Number(execFileSync('id', [flag, 'xrootd'], { encoding: 'utf8' }).trim());
  return { uid: ids('-u'), gid: ids('-g') };
}

function seedKeyCache(cacheHome: string, jwks: object): void {
  mkdirSync(join(cacheHome, 'scitokens'), { recursive: true });
  const db = new Database(join(cacheHome, 'scitokens', 'scitokens_cpp.sqllite'));
  const later = Math.floor(Date.now() / 1000) + 24 * 3600;
  db.exec('CREATE TABLE IF NOT EXISTS keycache (issuer text UNIQUE PRIMARY KEY NOT NULL, keys text NOT NULL)');
  db.prepare('INSERT OR REPLACE INTO keycache (issuer, keys) VALUES (?, ?)').run(ISSUER, JSON.stringify({ jwks, next_update: later, expires: later }));
  db.close();
}

function config(dir: string, rootPort: number, httpsPort: number, gridmapRequired = false, certs = { tls: 'host', gsi: 'host' }): string {
  const p = (name: string): string => join(dir, name);
  return [
    'all.export /',
    `oss.localroot ${p('data')}`,
    `all.adminpath ${p('admin')}`,
    `all.pidpath ${p('admin')}`,
    `xrd.port ${rootPort}`,
    `xrd.tls ${p(`${certs.tls}.pem`)} ${p(`${certs.tls}-xrootd.key`)}`,
    `xrd.tlsca certdir ${p('certs')}`,
    'xrootd.tls capable all',
    'xrootd.chksum max 2 adler32 md5',
    'xrootd.seclib libXrdSec.so',
    'sec.protocol ztn',
    `sec.protocol gsi -certdir:${p('certs')} -cert:${p(`${certs.gsi}.pem`)} -key:${p(`${certs.gsi}-xrootd.key`)} -gridmap:${p('gridmap')} -gmapopt:2 -crl:0`,
    'ofs.authorize 1',
    `acc.authdb ${p('authdb')}`,
    `ofs.authlib ++ libXrdAccSciTokens.so config=${p('scitokens.cfg')}`,
    `xrd.protocol XrdHttp:${httpsPort} libXrdHttp.so`,
    `http.cert ${p(`${certs.tls}.pem`)}`,
    `http.key ${p(`${certs.tls}-xrootd.key`)}`,
    `http.cadir ${p('certs')}`,
    `http.gridmap ${gridmapRequired ? 'required ' : ''}${p('gridmap')}`,
    'http.header2cgi Authorization authz',
    '',
  ].join('\n');
}

async function waitForStart(child: ChildProcess, log: string): Promise<void> {
  const deadline = Date.now() + 15_000;
  while (Date.now() < deadline) {
    if (child.exitCode !== null) break;
    let text = '';
    try {
      text = readFileSync(log, 'utf8');
    } catch {
      // Not written yet.
    }
    if (/initialization completed/.test(text)) return;
    if (/initialization failed/.test(text)) break;
    await new Promise((r) => setTimeout(r, 100));
  }
  let tail = '';
  try {
    tail = readFileSync(log, 'utf8').split('\n').slice(-15).join('\n');
  } catch {
    tail = '(no log)';
  }
  throw new Error(`xrootd did not start:\n${tail}`);
}

export interface XrootdOptions {
  /**
   * The largest file the server may write (RLIMIT_FSIZE, with SIGXFSZ ignored): a write past
   * it fails with EFBIG inside xrootd, as a full disk fails with ENOSPC, for this process only.
   */
  fileSizeLimitBytes?: number;
  /** `http.gridmap required`, as the sandbox's XRootD RSEs run: an unmapped DN is refused at connection. */
  gridmapRequired?: boolean;
  /** The host certificate to serve: one that expired yesterday, or one from a CA the clients do not trust. */
  hostCertificate?: 'valid' | 'expired' | 'foreign-ca';
}

export async function startXrootd(options: XrootdOptions = {}): Promise<XrootdServer> {
  const dir = mkdtempSync(join(tmpdir(), 'lakeprobe-xrootd-'));
  chmodSync(dir, 0o755);
  makeCa(dir, 'ca');
  makeCa(dir, 'other-ca');
  sign(dir, 'host', '/O=lakeprobe-test/CN=localhost', 'ca', HOST_EXT);
  // gsi refuses to start with an expired host certificate: TLS (https, roots) serves it, gsi keeps a valid one.
  if (options.hostCertificate === 'expired') sign(dir, 'host-tls', '/O=lakeprobe-test/CN=localhost', 'ca', HOST_EXT, '-1');
  if (options.hostCertificate === 'foreign-ca') sign(dir, 'host-tls', '/O=lakeprobe-test/CN=localhost', 'other-ca', HOST_EXT);
  const proxies: TestProxies = {
    alice: makeProxy(dir, 'alice', 'ca'),
    mallory: makeProxy(dir, 'mallory', 'ca'),
    eve: makeProxy(dir, 'eve', 'other-ca'),
    aliceExpired: '',
  };
  sign(dir, 'alice-old', '/O=lakeprobe-test/CN=alice/CN=1', 'alice', PROXY_EXT, '-1');
  proxies.aliceExpired = join(dir, 'alice-old.proxy');
  writeFileSync(proxies.aliceExpired, ['alice-old.pem', 'alice-old.key', 'alice.pem'].map((f) => readFileSync(join(dir, f), 'utf8')).join(''), { mode: 0o600 });

  const certDir = join(dir, 'certs');
  mkdirSync(certDir);
  copyFileSync(join(dir, 'ca.pem'), join(certDir, 'ca.pem'));
  // The server itself trusts the foreign CA (gsi checks its own certificate): only the clients do not.
  if (options.hostCertificate === 'foreign-ca') copyFileSync(join(dir, 'other-ca.pem'), join(certDir, 'other-ca.pem'));
  openssl(dir, ['rehash', certDir]);

  const [rootPort, httpsPort] = [await freePort(), await freePort()];
  writeFileSync(join(dir, 'gridmap'), '"/O=lakeprobe-test/CN=alice" alice\n');
  // alice may do anything except write under /readonly.
  writeFileSync(join(dir, 'authdb'), 'u alice /readonly lr / a\n');
  writeFileSync(join(dir, 'scitokens.cfg'), [
    '[Global]', `audience = ${AUDIENCE}`, 'onmissing = passthrough', '',
    '[Issuer test]', `issuer = ${ISSUER}`, 'base_path = /', 'default_user = tokenuser', '',
  ].join('\n'));
  const served = options.hostCertificate && options.hostCertificate !== 'valid' ? 'host-tls' : 'host';
  const gsiName = options.hostCertificate === 'foreign-ca' ? served : 'host';
  writeFileSync(join(dir, 'xrootd.cfg'), config(dir, rootPort, httpsPort, options.gridmapRequired, { tls: served, gsi: gsiName }));
  for (const sub of ['data', 'data/readonly', 'admin', 'logs', 'cache']) mkdirSync(join(dir, sub), { recursive: true });
  copyFileSync(join(dir, 'host.key'), join(dir, 'host-xrootd.key'));
  chmodSync(join(dir, 'host-xrootd.key'), 0o400);
  if (served !== 'host') {
    copyFileSync(join(dir, `${served}.key`), join(dir, `${served}-xrootd.key`));
    chmodSync(join(dir, `${served}-xrootd.key`), 0o400);
  }

  const { privateKey, publicKey } = await generateKeyPair('ES256');
  const jwk = { ...(await exportJWK(publicKey)), kid: 'test-key', alg: 'ES256', use: 'sig' };
  seedKeyCache(join(dir, 'cache'), { keys: [jwk] });

  const user = serviceUser();
  if (user) {
    const keys = served === 'host' ? ['host-xrootd.key'] : ['host-xrootd.key', `${served}-xrootd.key`];
    for (const sub of ['data', 'data/readonly', 'admin', 'logs', 'cache', 'cache/scitokens', 'cache/scitokens/scitokens_cpp.sqllite', ...keys]) {
      chownSync(join(dir, sub), user.uid, user.gid);
    }
  }

  // The pid file's folder is also where xrootd writes its env file (otherwise /tmp, machine-wide).
  const args = ['-n', 'test', '-c', join(dir, 'xrootd.cfg'), '-l', join(dir, 'logs', 'xrootd.log'), '-s', join(dir, 'admin', 'xrootd.pid'),
    ...(user ? ['-R', 'xrootd'] : [])];
  const limit = options.fileSizeLimitBytes;
  // An ignored signal stays ignored across exec, so xrootd sees EFBIG instead of being killed.
  const [command, argv] = limit === undefined ? ['xrootd', args]
    : ['sh', ['-c', 'trap "" XFSZ; exec prlimit --fsize="$0" xrootd "$@"', String(limit), ...args]];
  const child = spawn(command, argv, { stdio: 'ignore', env: { ...process.env, XDG_CACHE_HOME: join(dir, 'cache') } });
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  try {
    await waitForStart(child, join(dir, 'logs', 'test', 'xrootd.log'));
  } catch (error) {
    child.kill('SIGKILL');
    rmSync(dir, { recursive: true, force: true });
    throw error;
  }

  return {
    rootUrl: `root://localhost:${rootPort}`,
    davsUrl: `davs://localhost:${httpsPort}`,
    caPem: readFileSync(join(dir, 'ca.pem'), 'utf8'),
    certDir,
    dataDir: join(dir, 'data'),
    proxies,
    aliceCert: { certPath: join(dir, 'alice.pem'), keyPath: join(dir, 'alice.key') },
    audience: AUDIENCE,
    mintToken: (scope, opts = {}) => mint(privateKey, scope, opts),
    crash() {
      // With a file size limit, `child` is sh, which exec'ed prlimit, which exec'ed xrootd: same pid.
      if (child.exitCode === null) child.kill('SIGKILL');
    },
    async stop() {
      if (child.exitCode === null) child.kill('SIGTERM');
      await exited;
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

function mint(key: CryptoKey, scope: string, opts: { expiresInSeconds?: number; audience?: string }): Promise<string> {
  const now = Math.floor(Date.now() / 1000);
  return new SignJWT({ scope, 'wlcg.ver': '1.0' })
    .setProtectedHeader({ alg: 'ES256', kid: 'test-key', typ: 'JWT' })
    .setIssuer(ISSUER)
    .setSubject('token-user')
    .setAudience(opts.audience ?? AUDIENCE)
    .setIssuedAt(now - 60)
    .setNotBefore(now - 60)
    .setExpirationTime(now + (opts.expiresInSeconds ?? 600))
    .setJti(`jti-${now}-${Math.random().toString(16).slice(2)}`)
    .sign(key);
}
