// A storage may answer a PUT before reading its body (503, 507, 403 …) in a form Node's HTTP
// parser refuses (a broken header line, two Content-Lengths): the request then fails with a
// parse error that hides the status. The exchange keeps the first bytes an upload's socket
// received (ahead of the parser); this module reads an HTTP answer out of them.
//
// It cannot recover an answer that was never read: when a reset makes a body write fail
// while the answer still waits in the kernel, Node closes the socket in the same tick, so
// those bytes never reach any listener (measured: the bytes kept held only `100 Continue`).
// The PUT's diagnosis (diagnosis.ts) asks again with an empty write instead.

/** Bytes kept per request: enough for a status line, headers and the head of an error body. */
export const EARLY_RESPONSE_BYTES = 8 * 1024;

export interface EarlyResponse {
  status: number;
  reason: string;
  /** Head of the body, one line. */
  body: string;
}

/**
 * The first final (non-1xx) HTTP/1.x answer in `raw`, or null when there is none (or the
 * status line and headers are incomplete). Interim `100 Continue` answers are skipped.
 */
export function parseEarlyResponse(raw: string): EarlyResponse | null {
  let rest = raw;
  for (let guard = 0; guard < 8; guard++) {
    const status = /^HTTP\/1\.[01] (\d{3})(?: ([^\r\n]*))?\r?\n/.exec(rest);
    if (!status) return null;
    const end = rest.search(/\r?\n\r?\n/);
    if (end < 0) return null;
    const code = Number(status[1]);
    const headEnd = end + (rest.slice(end).startsWith('\r\n\r\n') ? 4 : 2);
    if (code >= 200) {
      return { status: code, reason: (status[2] ?? '').trim(), body: rest.slice(headEnd).replace(/\s+/g, ' ').trim().slice(0, 200) };
    }
    rest = rest.slice(headEnd);
  }
  return null;
}
