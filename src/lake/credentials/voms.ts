// VOMS attribute certificates inside a proxy: the VO, its groups and roles (FQANs) and the
// AC's own validity, which is shorter than the proxy's as often as not. A proxy whose AC has
// expired still opens TLS connections; only servers that read the groups notice, and refuse
// as if the permission were missing. Read from the proxy's extension 1.3.6.1.4.1.8005.100.100.5
// (an ACSeq: SEQUENCE OF SEQUENCE OF AttributeCertificate, RFC 5755 §4.1).
import { DER_TAG, derChildren, derContent, derNode, derTime, oidText, type DerNode } from './der.js';

const VOMS_AC_EXTENSION = '1.3.6.1.4.1.8005.100.100.5';
const VOMS_FQAN_ATTRIBUTE = '1.3.6.1.4.1.8005.100.100.4';
/** A tbsCertificate's extensions: [3] EXPLICIT. */
const EXTENSIONS_TAG = 0xa3;
/** IetfAttrSyntax.policyAuthority [0] and its GeneralName uniformResourceIdentifier [6] ("<vo>://<host>:<port>"). */
const POLICY_AUTHORITY_TAG = 0xa0;
const URI_TAG = 0x86;
const MAX_FQANS = 100;
const MAX_FQAN_CHARS = 255;

export interface VomsAttributes {
  vo: string;
  /** Groups and roles granted, e.g. '/lakeprobe/embargo/Role=NULL/Capability=NULL'. */
  fqans: string[];
  notBefore: Date;
  notAfter: Date;
}

const text = (der: Buffer, node: DerNode): string => derContent(der, node).toString('utf8').slice(0, MAX_FQAN_CHARS);

/** The VO and FQANs of one AttributeCertificateInfo's VOMS attribute, null when it has none. */
function fqanAttribute(der: Buffer, attributes: DerNode): { vo: string; fqans: string[] } | null {
  for (const attribute of derChildren(der, attributes)) {
    const [type, values] = derChildren(der, attribute);
    if (type?.tag !== DER_TAG.OID || oidText(derContent(der, type)) !== VOMS_FQAN_ATTRIBUTE || !values) continue;
    let vo = '';
    const fqans: string[] = [];
    for (const syntax of derChildren(der, values)) {
      for (const part of derChildren(der, syntax)) {
        if (part.tag === POLICY_AUTHORITY_TAG) {
          const uri = derChildren(der, part).find((n) => n.tag === URI_TAG);
          if (uri) vo = text(der, uri).split('://')[0] ?? '';
        } else if (part.tag === DER_TAG.SEQUENCE) {
          for (const value of derChildren(der, part)) if (value.tag === DER_TAG.OCTET_STRING && fqans.length < MAX_FQANS) fqans.push(text(der, value));
        }
      }
    }
    return { vo: vo || (fqans[0]?.split('/')[1] ?? '?'), fqans };
  }
  return null;
}

/** One AttributeCertificate: acinfo's validity (two GeneralizedTimes) and its VOMS attribute. */
function attributeCertificate(der: Buffer, ac: DerNode): VomsAttributes | null {
  const [info] = derChildren(der, ac);
  if (!info) return null;
  const fields = derChildren(der, info);
  let validity: [Date, Date] | null = null;
  let granted: { vo: string; fqans: string[] } | null = null;
  for (const field of fields) {
    if (field.tag !== DER_TAG.SEQUENCE) continue;
    const kids = derChildren(der, field);
    if (!validity && kids.length === 2 && kids.every((k) => k.tag === DER_TAG.GENERALIZED_TIME)) {
      validity = [derTime(der, kids[0]!), derTime(der, kids[1]!)];
    } else if (!granted && kids[0]?.tag === DER_TAG.SEQUENCE) {
      granted = fqanAttribute(der, field);
    }
  }
  return validity && granted ? { ...granted, notBefore: validity[0], notAfter: validity[1] } : null;
}

/**
 * The VOMS attribute certificates a certificate (DER) carries, empty when it has none. Throws
 * when the extension is there but cannot be read.
 */
export function vomsAttributes(certificate: Buffer): VomsAttributes[] {
  const cert = derNode(certificate, 0);
  const [tbs] = derChildren(certificate, cert);
  if (!tbs) return [];
  const extensions = derChildren(certificate, tbs).find((n) => n.tag === EXTENSIONS_TAG);
  const [list] = extensions ? derChildren(certificate, extensions) : [];
  if (!list) return [];
  for (const extension of derChildren(certificate, list)) {
    const parts = derChildren(certificate, extension);
    if (parts[0]?.tag !== DER_TAG.OID || oidText(derContent(certificate, parts[0])) !== VOMS_AC_EXTENSION) continue;
    const value = parts.at(-1);
    if (value?.tag !== DER_TAG.OCTET_STRING) throw new Error('VOMS extension without a value');
    const der = derContent(certificate, value);
    const found: VomsAttributes[] = [];
    for (const seq of derChildren(der, derNode(der, 0))) {
      for (const ac of derChildren(der, seq)) {
        const attributes = attributeCertificate(der, ac);
        if (attributes) found.push(attributes);
      }
    }
    if (found.length === 0) throw new Error('VOMS extension without a readable attribute certificate');
    return found;
  }
  return [];
}

/** 'VO lakeprobe (/lakeprobe/Role=NULL/Capability=NULL, …)': what an AC grants, for messages. */
export function describeVoms(v: VomsAttributes): string {
  return `VO ${v.vo} (${v.fqans.join(', ') || 'no FQAN'})`;
}
