// What the sandbox's FTS reports when a transfer_failure fault makes a transfer fail:
// each reason in the words FTS uses — the error scope (SOURCE, DESTINATION, TRANSFER),
// the errno in brackets, then gfal2/davix's text — so that clients classify the same
// strings they meet on a real lake. The DAC21 logbook has the checksum line verbatim.
import type { TransferFailureReason } from '../faults/spec.js';

/** The request's error for `reason`, without Rucio's `RequestErrMsg.*:` prefix. */
export function transferFailureMessage(reason: Exclude<TransferFailureReason, 'no_route'>, dstRse: string): string {
  switch (reason) {
    case 'checksum_unavailable': return 'TRANSFER [2] DESTINATION CHECKSUM HTTP 404 : File not found';
    // dCache answering the pull of a TPC with 500 (DAC21, EULAKE-1 under load).
    case 'source_error': return 'SOURCE [5] Result HTTP 500 : Unexpected server error: 500  after 1 attempts';
    case 'tpc_refused': return `TRANSFER [95] TRANSFER COPY refused with status code 400: third-party copy is not enabled on ${dstRse}`;
    case 'source_auth': return 'SOURCE [13] Result HTTP 401 : Authentication Error  after 1 attempts';
    case 'destination_auth': return 'DESTINATION [13] Result HTTP 403 : Permission refused  after 1 attempts';
    case 'no_space': return 'DESTINATION [28] Result HTTP 507 : Insufficient Storage (No space left on device)  after 1 attempts';
    case 'timeout': return 'TRANSFER [110] Transfer canceled because the performance marker timeout of 360 seconds has been exceeded';
  }
}

/** Rucio finds no path (no distance) from any source to the destination: the request never reaches FTS. */
export function noRouteMessage(dstRse: string): string {
  return `RequestErrMsg.NO_SOURCES:RequestState.NO_SOURCES no path from any source to ${dstRse} (no distance)`;
}
