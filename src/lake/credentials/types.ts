import type { VomsAttributes } from './voms.js';

/** An X.509 credential ready for TLS: a user certificate + key, or an RFC 3820 proxy file. */
export interface X509Credential {
  /** PEM chain to present: proxy first, then the user certificate (or just the user certificate). */
  certPem: string;
  keyPem: string;
  /** Subject DN of the end-entity (user) certificate, RFC 2253 order e.g. 'CN=alice,O=lakeprobe'. */
  subject: string;
  /** Subject in the OpenSSL "slash" form ('/O=lakeprobe/CN=alice'), as grid gridmaps use. */
  subjectSlash: string;
  notBefore: Date;
  /** The earliest end of the chain in use and of its VOMS attribute certificates. */
  notAfter: Date;
  isProxy: boolean;
  /** VOMS attribute certificates the proxy carries (VO, FQANs, validity); empty for none. */
  voms?: VomsAttributes[];
  /** Where it came from (file path), for messages. */
  source: string;
}

/** A bearer token (JWT or opaque). `claims` are decoded without verification, for expiry and display. */
export interface BearerToken {
  token: string;
  claims: Record<string, unknown> | null;
  /** Expiry from the `exp` claim, if any. */
  expiresAt: Date | null;
  source: string;
  /**
   * For a token lakeprobe obtains from an issuer: renews it in place when it is within
   * the renewal margin of its expiry (the fields above then describe the new token).
   */
  renew?: () => Promise<void>;
  /** What the token was asked for (grant, audience, scope), for results; never the token. */
  requested?: { audience: string | null; scope: string | null };
}

/** Trust anchors for TLS, as PEM strings (concatenated X509_CERT_DIR or ca_cert file). */
export type TrustAnchors = string[];
