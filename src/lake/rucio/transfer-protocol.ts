import type { RequestInfo } from './types.js';

/** What a transfer is labelled with before (or without) a request record that names its protocol. */
export const UNKNOWN_TRANSFER_PROTOCOL = 'unknown';

/**
 * The protocol of a transfer as Rucio records it: the scheme of the request's destination
 * URL (`davs`, `root`, `https`, `srm`, `mock` …), set when the conveyor submits it.
 * Bounded (it becomes a metric label): anything that is not a short scheme is 'unknown'.
 */
export function transferProtocol(request: Pick<RequestInfo, 'dest_url'> | null | undefined): string {
  const scheme = /^([a-z][a-z0-9+.-]{0,15}):/i.exec(request?.dest_url ?? '')?.[1];
  return scheme ? scheme.toLowerCase() : UNKNOWN_TRANSFER_PROTOCOL;
}
