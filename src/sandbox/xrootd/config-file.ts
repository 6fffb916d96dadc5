// The xrootd configuration of one sandbox RSE: root:// and HTTPS (WebDAV) on two ports,
// x509 (gridmap + authdb) and WLCG tokens (SciTokens), checksums and HTTP-TPC.
import type { RunLayout } from './run-dir.js';

export interface XrootdConfigInput {
  name: string;
  root: string;
  layout: RunLayout;
  rootPort: number;
  httpsPort: number;
  /** VO whose VOMS groups HTTPS clients' proxies carry into authorization (vomsdir in the layout). */
  vo?: string;
  /** A cache in front of the xrootd at this root:// port on localhost: `root` holds the cached files. */
  cacheOfPort?: number;
}

/**
 * XCache: the storage layer is the proxy (XrdPss) to the origin with the proxy file cache (XrdPfc)
 * on the local root; pfc.ram may not be below 1 GiB in 5.5 (it is a ceiling, not an allocation).
 */
function cacheLines(originPort: number): string[] {
  return [
    '# proxy file cache (XCache) in front of the origin',
    'ofs.osslib libXrdPss.so',
    `pss.origin localhost:${originPort}`,
    'pss.cachelib libXrdPfc.so',
    'pfc.ram 1g',
    'pfc.diskusage 0.90 0.95',
  ];
}

function word(path: string): string {
  // xrootd splits directives on blanks and has no quoting.
  if (/\s/.test(path)) throw new RangeError(`xrootd cannot use a path with blanks: ${JSON.stringify(path)}`);
  return path;
}

/**
 * VOMS groups of the proxy become the entity's groups for the authdb's `g` lines
 * (grpopt=2: every group of the VO). The verifier reads X509_VOMS_DIR and X509_CERT_DIR
 * from xrootd's environment.
 */
function vomsLines(vo: string | undefined): string[] {
  if (vo === undefined) return [];
  if (!/^[A-Za-z0-9._-]+$/.test(vo)) throw new RangeError(`VO name ${JSON.stringify(vo)} is not a plain identifier`);
  return [`http.secxtractor libXrdHttpVOMS.so vos=${vo}|grpopt=2`];
}

export function renderXrootdConfig(input: XrootdConfigInput): string {
  const l = input.layout;
  const [cert, key, certDir, gridmap] = [l.hostCert, l.hostKey, l.certDir, l.gridmap].map(word);
  return [
    `# lakeprobe sandbox RSE ${input.name}`,
    'all.export /',
    `oss.localroot ${word(input.root)}`,
    `all.adminpath ${word(l.adminDir)}`,
    `all.pidpath ${word(l.adminDir)}`,
    `xrd.port ${input.rootPort}`,
    `xrd.tls ${cert} ${key}`,
    `xrd.tlsca certdir ${certDir}`,
    // root:// clients that speak TLS get it for everything (ztn needs it for the token).
    'xrootd.tls capable all',
    'xrootd.chksum max 4 adler32 md5',
    '',
    '# root:// authentication: grid proxies (gsi) or bearer tokens (ztn)',
    'xrootd.seclib libXrdSec.so',
    'sec.protocol ztn',
    `sec.protocol gsi -certdir:${certDir} -cert:${cert} -key:${key} -gridmap:${gridmap} -gmapopt:2 -crl:0`,
    '',
    '# authorization: SciTokens by scope first, then the authdb for x509 users',
    'ofs.authorize 1',
    `acc.authdb ${word(l.authdb)}`,
    `ofs.authlib ++ libXrdAccSciTokens.so config=${word(l.scitokens)}`,
    '',
    ...(input.cacheOfPort === undefined ? httpLines(input) : cacheLines(input.cacheOfPort)),
    '',
  ].join('\n');
}

function httpLines(input: XrootdConfigInput): string[] {
  const l = input.layout;
  const [cert, key, certDir, gridmap] = [l.hostCert, l.hostKey, l.certDir, l.gridmap].map(word);
  return [
    '# HTTPS / WebDAV',
    `xrd.protocol XrdHttp:${input.httpsPort} libXrdHttp.so`,
    `http.cert ${cert}`,
    `http.key ${key}`,
    `http.cadir ${certDir}`,
    // An unmapped DN is refused at login, not given a name derived from its hash.
    `http.gridmap required ${gridmap}`,
    // Without it XrdHttp 5.5 never hands the bearer token to the authorization plugin.
    'http.header2cgi Authorization authz',
    'http.exthandler xrdtpc libXrdHttpTPC.so',
    ...vomsLines(input.vo),
  ];
}
