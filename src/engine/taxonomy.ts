// The one error taxonomy: a closed set of classes, each with a meaning and a
// remediation hint that reports and the status page show next to failures.
// classify() (src/engine/classify.ts) maps any thrown value to one of these.

export const ERROR_CLASSES = {
  auth_expired: {
    meaning: 'a credential (proxy, certificate, token) has expired or is not yet valid',
    remedy: 'renew the proxy (voms-proxy-init) or refresh the token; check clocks on both sides',
  },
  auth_invalid: {
    meaning: 'the server rejected the credentials themselves (wrong password, unknown identity, bad signature)',
    remedy: 'check the username/password, that the DN or token subject is registered as an identity of the account',
  },
  auth_denied: {
    meaning: 'authenticated, but not allowed to do this (missing scope, ACL, permission)',
    remedy: 'ask for the missing permission or a token with the needed storage.* scope',
  },
  gridmap_unmapped: {
    meaning: "the storage could not map the client's DN to a local user",
    remedy: "the site's gridmap lacks this DN; ask the site to re-sync its gridmap",
  },
  tls: {
    meaning: 'the TLS handshake failed (untrusted issuer, hostname mismatch, bad chain)',
    remedy: 'check X509_CERT_DIR / ca_cert holds the CA of the server, and the host certificate names the host',
  },
  dns: {
    meaning: 'the host name could not be resolved',
    remedy: 'check the endpoint host name in the RSE protocol or plan, and the resolver',
  },
  connection_refused: {
    meaning: 'nothing accepted the connection on that host and port',
    remedy: 'the service is down or the port is wrong; check the endpoint and the site status',
  },
  connect_timeout: {
    meaning: 'the connection was not established in time',
    remedy: 'a firewall drops the packets or the host is down; check the network path',
  },
  timeout: {
    meaning: 'the operation started but did not finish in time',
    remedy: 'the server or link is slow or stuck; compare with other RSEs and raise the timeout if it is legitimate',
  },
  connection_reset: {
    meaning: 'the connection was closed by the other side in the middle of the operation',
    remedy: 'check the server logs for crashes or restarts, and any proxy or load balancer in between',
  },
  identity_refused: {
    meaning: 'the storage drops connections presenting this identity (right after the TLS handshake) while it answers requests without it',
    remedy: "check the RSE's gridmap and authorization for this DN (or token subject): a DN missing from a required gridmap is dropped at connection",
  },
  write_refused: {
    meaning: 'the storage dropped a write mid-body while small requests and an empty write with the same identity succeed',
    remedy: 'check free space and quotas on the RSE (XRootD drops the connection when a write fails for a full disk or quota)',
  },
  protocol_unsupported: {
    meaning: 'no protocol is usable for this operation: the RSE offers none, or the client lacks the plug-in for it',
    remedy: 'enable the operation on a protocol of the RSE, choose another scheme, or install the client plug-in (e.g. gfal2-plugin-http for davs)',
  },
  not_found: {
    meaning: 'the file, DID, rule or RSE does not exist',
    remedy: 'check the name; a lifetime or reaper may already have removed it',
  },
  already_exists: {
    meaning: 'the object already exists and cannot be created again',
    remedy: 'use a fresh name, or clean up what an earlier run left (lakeprobe cleanup)',
  },
  checksum_mismatch: {
    meaning: 'the checksum of the data differs from the expected one',
    remedy: 'the data was corrupted in transit or at rest; compare storage and catalogue checksums',
    severity: 'critical',
  },
  destination_checksum_missing: {
    meaning: 'the destination storage could not provide a checksum for the file',
    remedy: 'enable checksum support on the destination storage (e.g. adler32 in Want-Digest)',
  },
  quota: {
    meaning: 'the account has no or insufficient quota on the target RSE',
    remedy: 'set an account limit for the account on the RSE (rucio-admin account set-limits)',
  },
  rule_stuck: {
    meaning: 'a replication rule went STUCK',
    remedy: "look at the rule's error and the transfer requests; check source availability and the link",
  },
  rule_timeout: {
    meaning: 'a replication rule did not reach OK within the allowed time',
    remedy: 'check the transfer tool queue and the link throughput; raise the timeout if the volume justifies it',
  },
  embargo_violation: {
    meaning: 'an identity outside the embargo group could read embargoed data',
    remedy: 'fix the path authorization of the embargo area on the storage immediately',
    severity: 'critical',
  },
  inconclusive: {
    meaning: 'the check could not decide: the identity it needs was not shown to work (e.g. the embargo outsider could not log in or read open data)',
    remedy: "fix the check's own credential (renew the outsider's proxy or token, register its identity) and run the check again",
  },
  rse_selection: {
    meaning: 'an RSE expression resolves to no RSE, or a QoS expression (QOS=…) to an RSE whose QOS attribute is missing or null',
    remedy: "fix the expression, or set the QOS attribute of the RSEs named (rucio-admin rse set-attribute --key QOS) before the challenge",
  },
  invalid_request: {
    meaning: 'the server refused the request as malformed (bad name, schema validation)',
    remedy: 'check the names and parameters used in the plan',
  },
  server_error: {
    meaning: 'the server failed internally (5xx)',
    remedy: 'look at the server logs around the time of the failure',
  },
  service_unavailable: {
    meaning: 'the service answered that it is temporarily unavailable (503, RSE blocked)',
    remedy: 'check the RSE availability flags and the site downtime calendar',
  },
  unknown: {
    meaning: 'the failure did not match any known class',
    remedy: 'read the error message; consider adding it to the classification table',
  },
} as const satisfies Record<string, { meaning: string; remedy: string; severity?: 'critical' }>;

export type ErrorClass = keyof typeof ERROR_CLASSES;
export const ERROR_CLASS_NAMES = Object.keys(ERROR_CLASSES) as ErrorClass[];

/** The severity of a failure of this class: `critical` where the class says so, else `error`. */
export function failureSeverity(errorClass: ErrorClass): 'critical' | 'error' {
  const entry = ERROR_CLASSES[errorClass];
  return 'severity' in entry ? entry.severity : 'error';
}
