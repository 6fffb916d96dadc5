// The smallest consumes chain on the default sandbox: E/up (replication of `files` files from
// SANDBOX-FAST to SANDBOX-SAFE) and E/down (reprocess at SANDBOX-FAST consuming up's dataset).
export interface ChainPlan {
  files: number;
  /** The upstream rule's timeout_seconds (default Rucio-like 600). */
  timeout?: number;
  runs: number;
  wait: number;
  /** Cron of each test, for a daemon. */
  schedules?: { up: string; down: string };
}

export function chainPlan(c: ChainPlan): string {
  const schedule = (cron?: string): string => (cron ? `\n        schedule: { cron: "${cron}" }` : '');
  return `name: chain
lake: { sandbox: true }
experiments:
  - name: E
    tests:
      - name: up
        scenario: replication
        auth: [userpass]
        params: { source: SANDBOX-FAST, files: ${c.files}, size: 4096, rules: [{ expression: SANDBOX-SAFE }], timeout_seconds: ${c.timeout ?? 600}, poll_seconds: 0.5 }${schedule(c.schedules?.up)}
      - name: down
        scenario: reprocess
        auth: [userpass]
        rses: { names: [SANDBOX-FAST] }
        consumes: { test: up, output: dataset, wait_seconds: ${c.wait} }
        params: { runs: ${c.runs}, output_size: 2048, poll_seconds: 0.5 }${schedule(c.schedules?.down)}
`;
}
