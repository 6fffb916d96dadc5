// The one metric catalogue. The registry, the Grafana dashboards and the alert
// rules all read these declarations, so nothing can query a metric that does
// not exist. Label values are bounded: RSE names, closed enums, size classes.

export type MetricType = 'counter' | 'histogram' | 'gauge';

export interface MetricSpec {
  name: string;
  type: MetricType;
  help: string;
  labels: readonly string[];
  buckets?: readonly number[];
}

const OP_LABELS = ['experiment', 'test', 'operation', 'rse', 'protocol', 'auth_method'] as const;

export const METRICS = {
  operations: {
    name: 'lakeprobe_operations_total',
    type: 'counter',
    help: 'Lake operations performed, by outcome and error class (error_class is "none" on success).',
    labels: [...OP_LABELS, 'outcome', 'error_class'],
  },
  operationDuration: {
    name: 'lakeprobe_operation_duration_seconds',
    type: 'histogram',
    help: 'Duration of lake operations, successful and failed.',
    labels: [...OP_LABELS, 'size_class'],
    buckets: [0.01, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120, 300, 900, 1800, 3600],
  },
  transferredBytes: {
    name: 'lakeprobe_transferred_bytes_total',
    type: 'counter',
    help: 'Bytes moved by successful upload, download and replicate operations.',
    labels: OP_LABELS,
  },
  throughput: {
    name: 'lakeprobe_last_throughput_bytes_per_second',
    type: 'gauge',
    help: 'Throughput of the most recent successful data-moving operation.',
    labels: [...OP_LABELS, 'size_class'],
  },
  lastResult: {
    name: 'lakeprobe_last_operation_timestamp_seconds',
    type: 'gauge',
    help: 'Unix time when the most recent operation of this kind finished.',
    labels: [...OP_LABELS, 'outcome'],
  },
  runFailures: {
    name: 'lakeprobe_test_failed_operations',
    type: 'gauge',
    help: 'Failed operations in the most recent run of a test (0 when it passed).',
    labels: ['experiment', 'test'],
  },
} as const satisfies Record<string, MetricSpec>;

export type MetricKey = keyof typeof METRICS;
export const DATA_OPERATIONS = new Set(['upload', 'download', 'replicate']);
