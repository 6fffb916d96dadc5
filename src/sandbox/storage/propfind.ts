import type { Stats } from 'node:fs';
import { readdir, stat } from 'node:fs/promises';
import { join, posix } from 'node:path';
import { hrefFor, PARTIAL_PREFIX } from './paths.js';

interface Entry {
  path: string;
  stats: Stats;
}

const escapeXml = (s: string): string =>
  s.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);

function responseXml({ path, stats }: Entry): string {
  const collection = stats.isDirectory();
  const name = path === '/' ? '/' : posix.basename(path);
  return [
    '<D:response>',
    `<D:href>${escapeXml(hrefFor(path, collection))}</D:href>`,
    '<D:propstat><D:prop>',
    `<D:displayname>${escapeXml(name)}</D:displayname>`,
    `<D:getcontentlength>${collection ? 0 : stats.size}</D:getcontentlength>`,
    `<D:getlastmodified>${stats.mtime.toUTCString()}</D:getlastmodified>`,
    `<D:resourcetype>${collection ? '<D:collection/>' : ''}</D:resourcetype>`,
    '</D:prop><D:status>HTTP/1.1 200 OK</D:status></D:propstat>',
    '</D:response>',
  ].join('');
}

/** Visible children of a directory, sorted by name (uploads in flight are hidden). */
export async function listChildren(dir: string): Promise<string[]> {
  const names = await readdir(dir);
  return names.filter((n) => !n.startsWith(PARTIAL_PREFIX)).sort();
}

/** RFC 4918 multistatus for `path` and, with depth 1 on a collection, its children. */
export async function multistatus(path: string, file: string, stats: Stats, depth: 0 | 1): Promise<string> {
  const entries: Entry[] = [{ path, stats }];
  if (depth === 1 && stats.isDirectory()) {
    for (const name of await listChildren(file)) {
      const childStats = await stat(join(file, name)).catch(() => undefined);
      if (childStats) entries.push({ path: posix.join(path, name), stats: childStats });
    }
  }
  return [
    '<?xml version="1.0" encoding="utf-8"?>',
    '<D:multistatus xmlns:D="DAV:">',
    ...entries.map(responseXml),
    '</D:multistatus>',
    '',
  ].join('\n');
}
