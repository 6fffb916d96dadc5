// Shared by the k6 load scripts: lakeprobe's operation metrics (the same names and tags
// lakeprobe's thresholds use), thresholds handed over by `lakeprobe k6 run`, bounded
// load options, and the JSON summary lakeprobe imports into its results store.
import { Rate, Trend } from 'k6/metrics';
import type { Options } from 'k6/options';
import type { RefinedResponse, ResponseType } from 'k6/http';

/** Operation duration in ms, tagged with `operation` (auth, list, upload, download, register, delete). */
export const opDuration = new Trend('lakeprobe_op_duration', true);
/** 1 for a failed operation, 0 for a successful one. */
export const opFailed = new Rate('lakeprobe_op_failed');
/** Bytes per second of data-moving operations. */
export const opThroughput = new Trend('lakeprobe_op_throughput');

export function env(name: string, fallback?: string): string {
  const value = __ENV[name] ?? fallback;
  if (value === undefined || value === '') throw new Error(`set ${name} in the environment`);
  return value;
}

/** A positive whole number from the environment, capped so a load loop always stays bounded. */
export function bounded(name: string, fallback: number, max: number): number {
  const value = Number(__ENV[name] ?? fallback);
  if (!Number.isInteger(value) || value < 1) throw new Error(`${name} must be a whole number >= 1`);
  return Math.min(value, max);
}

/** Arrival-rate load: RATE operations per second for at most DURATION_S seconds and MAX_VUS users. */
export function loadOptions(): Options {
  const rate = bounded('RATE', 5, 1000);
  const seconds = bounded('DURATION_S', 30, 3600);
  const thresholds = JSON.parse(__ENV.LAKEPROBE_THRESHOLDS ?? '{}') as Record<string, string[]>;
  return {
    scenarios: {
      load: {
        executor: 'constant-arrival-rate', rate, timeUnit: '1s', duration: `${seconds}s`,
        preAllocatedVUs: Math.min(rate, 50), maxVUs: bounded('MAX_VUS', 50, 500),
        gracefulStop: '10s',
      },
    },
    thresholds: { lakeprobe_op_failed: ['rate<0.01'], ...thresholds },
    summaryTrendStats: ['avg', 'min', 'med', 'max', 'p(90)', 'p(95)', 'p(99)', 'count'],
    insecureSkipTLSVerify: __ENV.K6_INSECURE_SKIP_TLS_VERIFY === 'true',
  };
}

/** Records one operation from its response; `ok` decides success (status codes differ per call). */
export function record(
  operation: string, res: RefinedResponse<ResponseType | undefined>, ok: boolean, bytes = 0,
): boolean {
  const tags = { operation };
  opDuration.add(res.timings.duration, tags);
  opFailed.add(!ok, tags);
  if (ok && bytes > 0 && res.timings.duration > 0) opThroughput.add(bytes / (res.timings.duration / 1000), tags);
  return ok;
}

/** Writes k6's summary data where `lakeprobe k6 run` asked for it, and a short text to stdout. */
export function summaryOutputs(data: unknown): Record<string, string> {
  const out: Record<string, string> = {};
  const file = __ENV.LAKEPROBE_K6_SUMMARY;
  if (file) out[file] = JSON.stringify(data);
  out.stdout = `lakeprobe k6 summary${file ? ` written to ${file}` : ''}\n`;
  return out;
}
