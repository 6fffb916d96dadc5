// TLS settings a storage driver derives from StorageAuth.
import { Agent, type AgentOptions } from 'node:https';
import type { StorageAuth } from './driver.js';

/**
 * Agent options for `auth`: trust anchors (Node's defaults when none are given),
 * the client certificate chain (a proxy file's whole chain goes in `cert`) unless a
 * bearer token is set — the token wins, so the server sees one identity only.
 */
export function tlsAgentOptions(auth: StorageAuth): AgentOptions {
  const options: AgentOptions = {
    keepAlive: true,
    rejectUnauthorized: !auth.insecure,
  };
  if (auth.ca.length > 0) options.ca = auth.ca;
  if (auth.x509 && !auth.token) {
    options.cert = auth.x509.certPem;
    options.key = auth.x509.keyPem;
  }
  return options;
}

/** A keep-alive HTTPS agent for `auth`. */
export function createTlsAgent(auth: StorageAuth): Agent {
  return new Agent(tlsAgentOptions(auth));
}
