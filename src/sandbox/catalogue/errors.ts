// Rucio's error shape: ExceptionClass/ExceptionMessage headers (one line, cut
// at 125 characters) and the full message in a JSON body.
import { pyJson } from './format.js';
import type { HeaderValue, Reply } from './http.js';

export class RucioError extends Error {
  override readonly name = 'RucioError';
  constructor(
    readonly status: number,
    readonly exceptionClass: string,
    message: string,
  ) {
    super(message);
  }
}

function headerSafe(s: string): string {
  // Node refuses header bytes outside Latin-1 printable; Werkzeug would have encoded them.
  return s.replace(/[^\t\x20-\x7e\x80-\xff]/g, '?');
}

export function errorHeaderMessage(message: string): string {
  const oneLine = message.replace(/[\n\r]/g, ' ');
  return oneLine.length > 125 ? `${oneLine.slice(0, 125)}...` : oneLine;
}

export function errorReply(err: RucioError, headers: Record<string, HeaderValue> = {}): Reply {
  return {
    status: err.status,
    headers: {
      ...headers,
      'Content-Type': 'application/octet-stream',
      ExceptionClass: headerSafe(err.exceptionClass.replace(/[\n\r]/g, ' ')),
      ExceptionMessage: headerSafe(errorHeaderMessage(err.message)),
    },
    body: pyJson({ ExceptionClass: err.exceptionClass, ExceptionMessage: err.message }),
  };
}

export const notFoundDid = (scope: string, name: string): RucioError =>
  new RucioError(404, 'DataIdentifierNotFound', `Data identifier '${scope}:${name}' not found`);

export const rseNotFound = (rse: string, vo: string): RucioError =>
  new RucioError(404, 'RSENotFound', `RSE '${rse}' cannot be found in vo '${vo}'`);

export const accessDenied = (message: string, status = 401): RucioError =>
  new RucioError(status, 'AccessDenied', message);
