import { Readable } from 'node:stream';
import { z } from 'zod';
import { defineScenario } from '../src/engine/scenario.js';
import type { RunContext } from '../src/engine/run-context.js';
import { EmbargoViolationError, StorageError } from '../src/lake/errors.js';
import { checksumStream, syntheticStream } from '../src/lake/data/index.js';
import { selectProtocol } from '../src/lake/rucio/index.js';
import { probeTag, rseInfo, sizeParam } from './steps.js';

export const embargoParams = z.object({
  size: sizeParam.default(4096),
  /** Embargoed area on each storage, as a path from the endpoint's root. */
  path: z.string().regex(/^\/[A-Za-z0-9_./-]*$/).default('/embargo'),
  /** Credential files of an identity outside the embargo group: it must be refused. */
  outsider: z.object({ proxy: z.string().optional(), token_file: z.string().optional() }).strict()
    .refine((o) => Boolean(o.proxy) !== Boolean(o.token_file), { message: 'set exactly one of proxy, token_file' }),
}).strict();

export type EmbargoParams = z.output<typeof embargoParams>;

/**
 * Embargoed data: the run's identity (a group member) writes and reads a file in the
 * embargoed area; an outsider must be refused. An outsider who can read is an
 * embargo_violation; a refusal is the expected, successful outcome.
 */
export default defineScenario({
  name: 'embargo',
  description: 'Check that embargoed storage areas admit group members and refuse everyone else',
  params: embargoParams,
  async run(ctx, params) {
    for (const rse of ctx.rses) {
      if (ctx.signal.aborted) return;
      const info = await rseInfo(ctx, rse);
      if (!info) continue;
      const base = await ctx.op({ operation: 'list', rse }, async () => {
        const p = selectProtocol(info, 'write', ['davs', 'https']);
        return `${p.scheme}://${p.hostname}:${p.port}${params.path.replace(/\/$/, '')}`;
      });
      if (base.ok) await probeEmbargo(ctx, params, rse, `${base.value}/lakeprobe/${probeTag(ctx)}.${rse}`);
    }
  },
});

async function probeEmbargo(ctx: RunContext, params: EmbargoParams, rse: string, url: string): Promise<void> {
  const member = ctx.storage('davs');
  const written = await ctx.op({ operation: 'upload', rse, protocol: 'davs', bytes: params.size }, async () => {
    const id = ctx.ledger.intend({ runId: ctx.runId, kind: 'storage_file', rse, target: url, authMethod: ctx.authMethod });
    await member.put(url, syntheticStream({ seed: url, size: params.size }), params.size);
    ctx.ledger.created(id);
    return id;
  });
  if (!written.ok) return;
  await ctx.op({ operation: 'access', rse, protocol: 'davs', bytes: params.size }, async () => {
    const got = await checksumStream(await member.get(url));
    if (got.bytes !== params.size) throw new Error(`member read ${got.bytes} of ${params.size} bytes`);
  });
  await ctx.op({ operation: 'access', rse, protocol: 'davs', role: 'nonmember' }, async () => {
    const outsider = await ctx.storageAs('davs', { proxy: params.outsider.proxy, tokenFile: params.outsider.token_file });
    let readable: Readable;
    try {
      readable = await outsider.get(url);
    } catch (e) {
      if (e instanceof StorageError && (e.status === 401 || e.status === 403)) return; // refused, as it must be
      throw e;
    }
    readable.destroy();
    throw new EmbargoViolationError(url, 'an identity outside the embargo group');
  });
  await ctx.op({ operation: 'delete', rse, protocol: 'davs' }, async () => {
    await member.delete(url);
    ctx.ledger.done(written.value);
  });
}
