// Load on one storage endpoint over HTTPS/WebDAV: PUT a file, GET it back, DELETE it.
// Every file it writes it deletes in the same iteration. Bounded (RATE, DURATION_S, MAX_VUS).
//
//   STORAGE_URL (a davs/https directory URL the token may write), BEARER_TOKEN or
//   BEARER_TOKEN_FILE (a file holding it; `lakeprobe k6 run --plan` sets one of them),
//   FILE_SIZE (bytes, at most 64 MiB; default 1 MiB)
import http from 'k6/http';
import exec from 'k6/execution';
import { bounded, env, loadOptions, record, summaryOutputs } from './common.ts';

export const options = loadOptions();

const size = bounded('FILE_SIZE', 1024 * 1024, 64 * 1024 * 1024);
// Read once in the init context (the only place k6 may open files).
const token = __ENV.BEARER_TOKEN || open(env('BEARER_TOKEN_FILE')).trim();
const body = 'x'.repeat(size);

export default function (): void {
  const base = env('STORAGE_URL').replace(/^davs:/, 'https:').replace(/\/$/, '');
  const url = `${base}/k6-${exec.vu.idInTest}-${exec.scenario.iterationInTest}`;
  const headers = { Authorization: `Bearer ${token}` };
  const put = http.put(url, body, { headers, tags: { operation: 'upload' } });
  if (!record('upload', put, put.status === 201 || put.status === 200 || put.status === 204, size)) return;
  const get = http.get(url, { headers, tags: { operation: 'download' } });
  const got = typeof get.body === 'string' ? get.body.length : (get.body?.byteLength ?? 0);
  record('download', get, get.status === 200 && got === size, size);
  const del = http.del(url, null, { headers, tags: { operation: 'delete' } });
  record('delete', del, del.status === 204 || del.status === 200);
}

export function handleSummary(data: unknown): Record<string, string> {
  return summaryOutputs(data);
}
