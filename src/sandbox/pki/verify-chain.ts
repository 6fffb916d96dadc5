import { X509Certificate } from 'node:crypto';
import { extendsByOneCn, slashDn } from './distinguished-name.js';
import { PROXY_CERT_INFO_OID } from './proxy.js';
import { x509 } from './x509.js';

export type ChainVerification =
  | { ok: true; dn: string; isProxy: boolean }
  | { ok: false; reason: string; expired?: boolean };

interface ChainCert {
  node: X509Certificate;
  meta: x509.X509Certificate;
  dn: string;
  isProxy: boolean;
  proxyInfoCritical: boolean;
}

function parse(der: Buffer | string): ChainCert {
  const node = new X509Certificate(der);
  const meta = new x509.X509Certificate(node.raw);
  const proxyInfo = meta.getExtension(PROXY_CERT_INFO_OID);
  return {
    node,
    meta,
    dn: slashDn(meta.subjectName),
    isProxy: proxyInfo !== null,
    proxyInfoCritical: proxyInfo?.critical ?? false,
  };
}

const issuedBy = (cert: ChainCert, issuer: ChainCert): boolean =>
  cert.node.checkIssued(issuer.node) && cert.node.verify(issuer.node.publicKey);

function validityProblem(cert: ChainCert, now: Date): { reason: string; expired?: boolean } | undefined {
  const kind = cert.isProxy ? 'proxy certificate' : 'certificate';
  if (cert.meta.notAfter < now) {
    return { reason: `${kind} ${cert.dn} expired at ${cert.meta.notAfter.toISOString()}`, expired: true };
  }
  if (cert.meta.notBefore > now) {
    return { reason: `${kind} ${cert.dn} is not valid before ${cert.meta.notBefore.toISOString()}` };
  }
  return undefined;
}

/** Finds the trusted CA that anchors `chain`, dropping the CA itself if the client sent it. */
function anchor(chain: ChainCert[], trusted: ChainCert[]): ChainCert | undefined {
  const last = chain[chain.length - 1];
  if (!last) return undefined;
  const sentCa = trusted.find((ca) => ca.node.fingerprint256 === last.node.fingerprint256);
  if (sentCa && chain.length > 1) {
    chain.pop();
    return sentCa;
  }
  return trusted.find((ca) => issuedBy(last, ca));
}

function structureProblem(chain: ChainCert[]): string | undefined {
  const endEntity = chain.findIndex((c) => !c.isProxy);
  if (endEntity < 0) return 'the chain holds only proxy certificates';
  for (const [i, cert] of chain.entries()) {
    const issuer = chain[i + 1];
    if (i < endEntity) {
      if (!cert.proxyInfoCritical) return `proxy certificate ${cert.dn} has a non-critical proxyCertInfo`;
      if (issuer && !extendsByOneCn(cert.meta.subjectName, issuer.meta.subjectName)) {
        return `proxy certificate ${cert.dn} does not extend its issuer's subject by one CN`;
      }
    } else if (i > endEntity && (cert.isProxy || !cert.node.ca)) {
      return `certificate ${cert.dn} signs ${chain[i - 1]?.dn ?? 'a certificate'} but is not a CA`;
    }
  }
  return undefined;
}

/**
 * Verifies a client chain (leaf first) the way a grid storage does: RFC 3820 proxies
 * allowed, each certificate signed by the next, the last by a trusted CA, all within
 * their validity. On success returns the end-entity DN in slash form.
 */
export function verifyClientChain(chainDer: Buffer[], caPems: string[], now: Date = new Date()): ChainVerification {
  if (chainDer.length === 0) return { ok: false, reason: 'no client certificate presented' };
  const trusted = caPems.map((pem) => parse(pem));
  let chain: ChainCert[];
  try {
    chain = chainDer.map((der) => parse(der));
  } catch {
    return { ok: false, reason: 'unparseable certificate in the client chain' };
  }
  const ca = anchor(chain, trusted);
  for (const cert of [...chain, ...(ca ? [ca] : [])]) {
    const problem = validityProblem(cert, now);
    if (problem) return { ok: false, ...problem };
  }
  for (const [i, cert] of chain.entries()) {
    const issuer = chain[i + 1];
    if (issuer && !issuedBy(cert, issuer)) {
      return { ok: false, reason: `certificate ${cert.dn} is not signed by ${issuer.dn}` };
    }
  }
  const top = chain[chain.length - 1] as ChainCert;
  if (!ca) return { ok: false, reason: `certificate ${top.dn} is not issued by a trusted CA` };
  const problem = structureProblem(chain);
  if (problem) return { ok: false, reason: problem };
  const endEntity = chain.find((c) => !c.isProxy) as ChainCert;
  return { ok: true, dn: endEntity.dn, isProxy: chain[0]?.isProxy ?? false };
}
