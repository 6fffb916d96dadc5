// A worked example of a user scenario. A plan names it by path, relative to the plan:
//
//   tests:
//     - name: roundtrip
//       scenario: ./rse-roundtrip.ts
//       params: { size: 1MiB }
//
// `lakeprobe validate` type-checks it; `lakeprobe run` loads it (jiti) and gives it the
// same RunContext as the built-in scenarios.
//
// The scenario API in four points:
// 1. export default defineScenario({ name, description, params, run }) — `params` is a zod
//    schema: the plan's `params:` are validated against it before anything runs, with
//    file:line diagnostics; `run(ctx, params)` receives the parsed, typed values.
// 2. Every lake operation goes through `ctx.op(spec, body)`: it records exactly one
//    OpResult (operation, RSE, protocol, bytes, duration, outcome, error class) and never
//    throws — a failure is a result. Inside the body, `rec.warn(msg)` marks a success that
//    needs attention, `rec.ruleId(id)` / `rec.requestId(id)` / `rec.bytes(n)` add facts.
// 3. The lake is `ctx.rucio` (typed Rucio REST client), `ctx.storage('davs' | 'root')`
//    (storage drivers with the run's credentials) and `ctx.rses` (the test's RSEs).
// 4. Whatever the scenario creates goes through `ctx.ledger` first (intend → created →
//    done), so `lakeprobe cleanup` can finish what a crashed run left. The shared steps
//    in scenarios/steps.ts and upload-batch.ts (uploadFile, addRule, registerBatch, releaseFiles, …)
//    already do; a replica is registered only under a rule made first (held-dataset.ts).
import { z } from 'zod';
import { defineScenario } from '../../src/engine/scenario.js';
import { checksumStream, syntheticStream } from '../../src/lake/data/index.js';
import { buildPfn, selectProtocol } from '../../src/lake/rucio/index.js';

export default defineScenario({
  name: 'rse-roundtrip',
  description: 'Write a file straight to each RSE, read it back, compare its size, delete it',
  params: z.object({ size: z.number().int().min(1).max(1024 ** 3).default(65536) }).strict(),
  async run(ctx, params) {
    for (const rse of ctx.rses) {
      const info = await ctx.op({ operation: 'list', rse }, () => ctx.rucio.getRse(rse));
      if (!info.ok) continue;
      const pfn = buildPfn(selectProtocol(info.value, 'write', ['davs', 'https']), `user.${ctx.account}/roundtrip/${ctx.runId}.${rse}`);
      const written = await ctx.op({ operation: 'upload', rse, protocol: 'davs', bytes: params.size }, async () => {
        const id = ctx.ledger.intend({ runId: ctx.runId, kind: 'storage_file', rse, target: pfn, authMethod: ctx.authMethod });
        await ctx.storage('davs').put(pfn, syntheticStream({ seed: pfn, size: params.size }), params.size);
        ctx.ledger.created(id);
        return id;
      });
      if (!written.ok) continue;
      await ctx.op({ operation: 'download', rse, protocol: 'davs', bytes: params.size }, async () => {
        const got = await checksumStream(await ctx.storage('davs').get(pfn));
        if (got.bytes !== params.size) throw new Error(`read ${got.bytes} of ${params.size} bytes`);
      });
      await ctx.op({ operation: 'delete', rse, protocol: 'davs' }, async () => {
        await ctx.storage('davs').delete(pfn);
        ctx.ledger.done(written.value);
      });
    }
  },
});
