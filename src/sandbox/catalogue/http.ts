// Response values built by the handlers and written by the server, shaped as
// Rucio's Flask views shape them (content types, 'Created', json-stream).
import { flaskJson, pyJson } from './format.js';

export type HeaderValue = string | string[];

export interface Reply {
  status: number;
  headers: Record<string, HeaderValue>;
  body: string;
}

const HTML = 'text/html; charset=utf-8';

export function created(): Reply {
  return { status: 201, headers: { 'Content-Type': HTML }, body: 'Created' };
}

/** 201 with a body but Flask's default (HTML) content type, as POST /rules/ answers. */
export function createdWith(body: string): Reply {
  return { status: 201, headers: { 'Content-Type': HTML }, body };
}

export function emptyOk(): Reply {
  return { status: 200, headers: { 'Content-Type': HTML }, body: '' };
}

/** render_json(): Python separators, keys in the order given. */
export function jsonReply(value: unknown): Reply {
  return { status: 200, headers: { 'Content-Type': 'application/json' }, body: pyJson(value) };
}

/** Flask jsonify(): sorted, compact, newline-terminated. */
export function flaskReply(value: unknown): Reply {
  return { status: 200, headers: { 'Content-Type': 'application/json' }, body: `${flaskJson(value)}\n` };
}

/** application/x-json-stream: one render_json value per line; no items = empty body. */
export function streamReply(items: Iterable<unknown>): Reply {
  let body = '';
  for (const item of items) body += `${pyJson(item)}\n`;
  return { status: 200, headers: { 'Content-Type': 'application/x-json-stream' }, body };
}

function escapeHtml(s: string): string {
  return s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;').replace(/'/g, '&#x27;');
}

/** Werkzeug's redirect() page. */
export function redirectReply(status: 303 | 308, location: string): Reply {
  const loc = escapeHtml(location);
  const body =
    '<!doctype html>\n<html lang=en>\n<title>Redirecting...</title>\n<h1>Redirecting...</h1>\n' +
    `<p>You should be redirected automatically to the target URL: <a href="${loc}">${loc}</a>. If not, click the link.\n`;
  return { status, headers: { 'Content-Type': HTML, Location: location }, body };
}

const FLASK_PAGES: Record<number, [string, string]> = {
  404: [
    'Not Found',
    'The requested URL was not found on the server. If you entered the URL manually please check your spelling and try again.',
  ],
  405: ['Method Not Allowed', 'The method is not allowed for the requested URL.'],
  413: ['Request Entity Too Large', 'The data value transmitted exceeds the capacity limit.'],
  500: [
    'Internal Server Error',
    'The server encountered an internal error and was unable to complete your request. Either the server is overloaded or there is an error in the application.',
  ],
};

/** Werkzeug's HTML error pages, for routing failures outside Rucio's views (and a view that returns nothing: 500). */
export function flaskErrorPage(status: 404 | 405 | 413 | 500): Reply {
  const [title, text] = FLASK_PAGES[status] ?? ['Error', ''];
  const body = `<!doctype html>\n<html lang=en>\n<title>${status} ${title}</title>\n<h1>${title}</h1>\n<p>${text}</p>\n`;
  return { status, headers: { 'Content-Type': HTML }, body };
}

/** werkzeug's MethodNotAllowed: the 405 page with the URL's methods in Allow. */
export function methodNotAllowed(allowed: string[]): Reply {
  const page = flaskErrorPage(405);
  return { ...page, headers: { ...page.headers, Allow: allowed.join(', ') } };
}
