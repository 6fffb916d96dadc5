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
    meaning: 'authenticated, but the storage (or token issuer) does not allow this (missing token scope, path ACL or authorization entry)',
    remedy: "ask the site for rights on that path (its authdb/ACL, the VO group that grants it) or use a token with the needed storage.* scope",
  },
  catalogue_denied: {
    meaning: "the catalogue (Rucio) refused this account the operation under its permission policy (AccessDenied): your credential and the storage are fine",
    remedy: "ask the Rucio administrators for the permission the operation needs (e.g. deleting rules is root's or an admin account's; replicas on non-scratch RSEs need the RSE's rights), or run that step as an account that has it",
  },
  gridmap_unmapped: {
    meaning: "the storage could not map the client's DN to a local user",
    remedy: "the site's gridmap lacks this DN; ask the site to re-sync its gridmap",
  },
  tls: {
    meaning: 'the TLS handshake failed (untrusted issuer, hostname mismatch, bad chain)',
    remedy: 'check X509_CERT_DIR / ca_cert holds the CA of the server, and the host certificate names the host',
  },
  // Which side's certificate failed a TLS handshake.
  server_cert_expired: {
    meaning: "the server's host certificate has expired (or is not yet valid): the site's side, not your credential",
    remedy: 'ask the site to renew the host certificate of that host:port (and to restart the service so it loads it)',
  },
  server_ca_untrusted: {
    meaning: "the server's host certificate comes from a CA this client does not trust",
    remedy: "install the issuer's CA in X509_CERT_DIR / ca_cert (e.g. the IGTF bundle), or ask the site why its host certificate has that issuer",
  },
  client_cert_refused: {
    meaning: 'the server refused your certificate or proxy during the TLS handshake',
    remedy: 'the server refused your certificate/proxy; it may not accept RFC 3820 proxies — try the certificate and key (client_cert, client_key); else check it trusts your CA',
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
    meaning: 'the storage refuses this identity at connection or login (XRootD drops the TLS connection, or its gsi login fails) while it answers requests without it',
    remedy: "check the RSE's gridmap and authorization for this DN (or token subject), and that it trusts the CA of the certificate: a DN missing from a required gridmap is refused at connection",
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
  no_space: {
    meaning: 'the storage has no room for the data: disk or pools full, storage quota or space reservation exhausted',
    remedy: "free space or add capacity on the RSE (or raise the storage quota of the identity); lower the RSE's limits in Rucio meanwhile",
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
  deletion_stuck: {
    meaning: 'data the lake was asked to remove (a rule cut at its origin) is still listed there: its reaper does not delete it',
    remedy: "check the RSE's reaper: that it reaches the storage (network, firewall), that its credential may delete there and that the RSE allows deletion; the data stays at the origin until then",
  },
  // Transfer failures, by the reason the transfer tool gave (the rule's or request's error).
  transfer_source_error: {
    meaning: 'the source storage failed serving the file to the transfer (a 5xx on the read)',
    remedy: "check the source storage's logs and its third-party-copy load limits (doors, movers, pools); the destination is not at fault",
  },
  transfer_tpc_refused: {
    meaning: 'the destination refused or does not support the third-party copy (COPY) request',
    remedy: 'enable HTTP third-party copy on the destination storage (and allow the source host), or route the link through a protocol both ends support',
  },
  transfer_source_auth: {
    meaning: "the source storage refused the transfer's credentials for reading",
    remedy: "check that the source storage accepts the transfer tool's delegated credential or token (storage.read scope, gridmap, VO mapping)",
  },
  transfer_destination_auth: {
    meaning: "the destination storage refused the transfer's credentials for writing",
    remedy: "check that the destination storage accepts the transfer tool's credential or token (storage.create/modify scope, write ACL on the path)",
  },
  transfer_no_space: {
    meaning: 'the destination has no space left (or the space token or quota is full)',
    remedy: 'free or add space on the destination RSE, or check its space token and storage quota',
  },
  transfer_timeout: {
    meaning: 'the transfer tool gave up on a transfer that made no progress in time',
    remedy: "check the link's throughput and the destination's mover/TPC limits; raise the transfer tool's timeout for large files if the link is legitimately slow",
  },
  transfer_no_route: {
    meaning: 'the catalogue found no path from any source to the destination (no distance between the RSEs)',
    remedy: 'add a distance between the RSEs (rucio-admin rse add-distance) or enable a source RSE that has one',
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
  protocol_error: {
    meaning: 'the answer of the catalogue or storage was malformed or cut short (truncated stream, unparsable JSON/XML, missing header)',
    remedy: 'a proxy, load balancer or the server cut or mangled the answer: check their logs and timeouts for that host, and retry',
  },
  rse_selection: {
    meaning: 'an RSE expression resolves to no RSE, or a QoS expression (QOS=…) to an RSE whose QOS attribute is missing or null',
    remedy: "fix the expression, or set the QOS attribute of the RSEs named (rucio-admin rse set-attribute --key QOS) before the challenge",
  },
  upstream_starved: {
    meaning: "the test's input is another test's output (`consumes`), and that upstream test had no complete output within the wait: it was late, failed or stuck (e.g. its rule stayed REPLICATING)",
    remedy: 'look at the upstream test the message names (its rule state, its failures) and fix that first; this test was not judged on its own work',
  },
  rse_config: {
    meaning: "an RSE setting the plan depends on is off or missing: an availability flag (read/write/delete), a protocol for an operation, a distance between RSEs the plan moves data over",
    remedy: 'ask the lake admins to fix the setting named before the challenge (rucio-admin rse update --setting availability_write, rse add-protocol, rse add-distance)',
  },
  scenario_crash: {
    meaning: "the scenario's own code threw: a bug in the scenario module, not a failure of the lake",
    remedy: 'fix the scenario at the file:line given (run with --debug for the stack); the lake was not judged by this test',
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
  aborted: {
    meaning: 'the run was stopped (daemon shutdown, signal) while the operation was under way; the lake did not fail',
    remedy: 'nothing to fix at the lake: `lakeprobe cleanup` removes what the run created; run the test again',
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

/** Classes that say the credential or identity was refused, expired or unmapped (reports and the status page read them as the credential's). */
export const CREDENTIAL_CLASSES: ReadonlySet<string> = new Set([
  'auth_expired', 'auth_invalid', 'auth_denied', 'gridmap_unmapped', 'identity_refused', 'client_cert_refused', 'tls',
]);

/** Which service a failure came from: the catalogue (Rucio) or an RSE's storage. */
export type FailedService = 'catalogue' | 'storage';

/** Where the catalogue needs another remedy than the storage-side one above: the catalogue's own. */
const CATALOGUE_REMEDIES: Partial<Record<ErrorClass, string>> = {
  timeout: 'the catalogue (the Rucio server or the proxy before it) took the call but did not answer in time: check its load, web-server workers and database; raise lake.timeouts if its answers are legitimately slow',
  connect_timeout: "no connection to the catalogue in time: check rucio_host / auth_host, and the network path and firewalls to the catalogue's host:port",
  connection_refused: "nothing listens at the catalogue's host:port: check rucio_host / auth_host and that the Rucio server (its web server) is up",
  connection_reset: 'the catalogue (or the proxy or load balancer before it) closed the connection: check the Rucio server and proxy logs for crashes or restarts',
  service_unavailable: 'the catalogue (or the proxy before it) is overloaded or down for maintenance: check the Rucio server and its proxy, and the lake\'s downtime notices',
  server_error: 'the Rucio server failed internally: read its logs (web server error log, database) around the time of the failure',
  auth_denied: "the catalogue refused the account this action (Rucio's permission policy): ask the lake's Rucio admins for the permission, or use an account that has it",
};

/** The remedy of a class for the service that failed. */
export function remedyFor(errorClass: ErrorClass, service: FailedService): string {
  return (service === 'catalogue' ? CATALOGUE_REMEDIES[errorClass] : undefined) ?? ERROR_CLASSES[errorClass]?.remedy ?? '';
}
