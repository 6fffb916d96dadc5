import { Pushgateway, type Registry } from 'prom-client';

/**
 * Pushes the registry to a Pushgateway under job=lakeprobe and a grouping by
 * plan, replacing the group (PUT semantics) so stale series do not linger.
 */
export async function pushMetrics(registry: Registry, gatewayUrl: string, plan: string, instance: string): Promise<void> {
  const gateway = new Pushgateway(gatewayUrl, { timeout: 10_000 }, registry);
  await gateway.push({ jobName: 'lakeprobe', groupings: { plan, instance } });
}
