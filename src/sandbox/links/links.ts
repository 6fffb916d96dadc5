import { startLinkProxy, type LinkProxy } from './proxy.js';

export interface LinkSpec {
  /** Source RSE: the side that serves the data. */
  from: string;
  /** Destination RSE: the side that pulls it. */
  to: string;
  rttMs: number;
  bandwidthMbit?: number;
}

export interface Links {
  /** The URL the destination should pull `pfn` from: through the src→dst link when one is declared. */
  sourceUrl(srcRse: string, dstRse: string, pfn: string): string;
  /** The proxy of the src→dst link, for its stats. */
  link(srcRse: string, dstRse: string): LinkProxy | undefined;
  close(): Promise<void>;
}

const key = (from: string, to: string): string => `${from}\u0000${to}`;

/**
 * One link proxy per declared RSE pair. In a third-party pull the destination
 * fetches from the source, so each proxy fronts the SOURCE endpoint; the reverse
 * direction is a separate link with its own bandwidth.
 */
export async function startLinks(
  specs: LinkSpec[],
  endpointOf: (rse: string) => { host: string; port: number },
): Promise<Links> {
  const proxies = new Map<string, LinkProxy>();
  const close = async (): Promise<void> => {
    await Promise.all([...proxies.values()].map((p) => p.close()));
    proxies.clear();
  };
  try {
    for (const spec of specs) {
      const k = key(spec.from, spec.to);
      if (proxies.has(k)) throw new Error(`link ${spec.from} -> ${spec.to} is declared twice`);
      proxies.set(k, await startLinkProxy({
        target: endpointOf(spec.from), rttMs: spec.rttMs, bandwidthMbit: spec.bandwidthMbit, name: `${spec.from}->${spec.to}`,
      }));
    }
  } catch (e) {
    await close();
    throw e;
  }
  return {
    sourceUrl: (src, dst, pfn) => proxies.get(key(src, dst))?.url(pfn) ?? pfn,
    link: (src, dst) => proxies.get(key(src, dst)),
    close,
  };
}
