// What catalogue faults make of a request: a delay, then either the normal answer or
// the error a broken Rucio (its own exception shape) or the proxy before it would send.
import type { ServerResponse } from 'node:http';
import { errorReply, RucioError } from '../catalogue/errors.js';
import type { Reply } from '../catalogue/http.js';
import type { CatalogueFaults, CatalogueFaultStatus } from './fault-set.js';

const HTML = 'text/html';

/** nginx's pages when the Rucio behind it is gone (502) or overloaded (503). */
function proxyPage(status: 502 | 503): Reply {
  const title = status === 502 ? '502 Bad Gateway' : '503 Service Temporarily Unavailable';
  const body = `<html>\r\n<head><title>${title}</title></head>\r\n<body>\r\n<center><h1>${title}</h1></center>\r\n<hr><center>nginx</center>\r\n</body>\r\n</html>\r\n`;
  return { status, headers: { 'Content-Type': HTML }, body };
}

export function faultReply(status: CatalogueFaultStatus): Reply {
  switch (status) {
    case 401:
      return errorReply(new RucioError(401, 'CannotAuthenticate', 'Cannot authenticate with given credentials'));
    case 500:
      return errorReply(new RucioError(500, 'DatabaseException',
        'Database exception.\nDetails: (sqlite3.OperationalError) database is locked'));
    default:
      return proxyPage(status);
  }
}

/** Waits `ms`, or less if the client goes away; true when it is still there. */
function waitForClient(ms: number, res: ServerResponse): Promise<boolean> {
  return new Promise((resolve) => {
    const gone = (): void => {
      clearTimeout(timer);
      resolve(false);
    };
    const timer = setTimeout(() => {
      res.off('close', gone);
      resolve(!res.destroyed);
    }, ms);
    res.once('close', gone);
  });
}

/**
 * The fault answer for a request to `rawUrl` (after any delay), 'dropped' when the
 * client left during the delay, or undefined to answer normally.
 */
export async function catalogueFaultReply(
  faults: CatalogueFaults | undefined,
  rawUrl: string | undefined,
  res: ServerResponse,
): Promise<Reply | 'dropped' | undefined> {
  const plan = faults?.catalogueFault((rawUrl ?? '/').split('?', 1)[0] ?? '/');
  if (!plan) return undefined;
  if (plan.delayMs > 0 && !(await waitForClient(plan.delayMs, res))) return 'dropped';
  return plan.status === undefined ? undefined : faultReply(plan.status);
}
