// The catalogue side of an embargo: DIDs, replicas and rules in the embargoed scope are
// the member's alone. Rucio enforces it with its permission policy (AccessDenied).
// The member's file is registered only under a dataset rule that exists first.
import type { RunContext } from '../src/engine/run-context.js';
import { actingAs, mustRefuse, type Outsider } from './embargo-outsider.js';
import type { EmbargoParams } from './embargo.js';
import { holdingDataset } from './held-dataset.js';
import { deleteRule, probeTag, releaseFiles, rseInfo, uploadFile, verifyReplica } from './steps.js';
import { registerBatch } from './upload-batch.js';

export async function checkCatalogueEmbargo(
  ctx: RunContext, params: EmbargoParams, rseName: string, outsiders: Outsider[], ended: boolean,
): Promise<void> {
  const scope = params.scope as string;
  const rse = await rseInfo(ctx, rseName);
  if (!rse) return;
  const tag = probeTag(ctx);
  const held = await holdingDataset(ctx, rse, { scope, name: `${tag}.embargo.ds` }, params.lifetime);
  if (!held) return; // no rule to hold a replica: nothing is written or registered
  const { dataset, rule } = held;
  const did = { scope, name: `${tag}.embargo.0` };
  const file = await uploadFile(ctx, rse, did, params.size, ['davs', 'https']);
  if (!file) {
    await deleteRule(ctx, rse.rse, rule);
    return;
  }
  const registered = await registerBatch(ctx, rse, dataset, [file]);
  if (registered) {
    await verifyReplica(ctx, did, rse.rse, file.sums, rule.id);
    await ctx.op({ operation: 'list', rse: rse.rse }, async () => {
      const content = await ctx.rucio.listContent(dataset.scope, dataset.name);
      if (!content.some((c) => c.name === did.name)) throw new Error(`${did.name} not listed in ${dataset.scope}:${dataset.name}`);
    });
    for (const o of outsiders) {
      const why = o.rucio ? null : `the outsider's ${o.kind} credential could not use the catalogue (${o.rucioProblem})`;
      const as = { rse: rse.rse, protocol: 'rucio', ...actingAs(o) };
      const client = o.rucio;
      const name = `${scope}:${did.name}`;
      await mustRefuse(ctx, { operation: 'list', ...as }, why, `the DID ${name}`, () => client!.getDid(scope, did.name), ended);
      await mustRefuse(ctx, { operation: 'access', ...as }, why, `the replicas of ${name}`, async () => {
        const replicas = await client!.listReplicas({ dids: [did], allStates: true });
        if (replicas.length === 0) throw new Error('no replica listed to the outsider');
      }, ended);
      await mustRefuse(ctx, { operation: 'list', ...as }, why, `the rules of ${name}`, () => client!.listDidRules(scope, did.name), ended);
      await mustRefuse(ctx, { operation: 'register', ...as }, why, `a new DID in scope ${scope}`, async () => {
        const id = ctx.ledger.intend({ runId: ctx.runId, kind: 'did', rse: '', target: `${scope}:${tag}.intruder.${o.kind}`, authMethod: ctx.authMethod });
        try {
          await client!.addDid(scope, `${tag}.intruder.${o.kind}`, { type: 'DATASET', lifetime: 60 });
        } finally {
          ctx.ledger.done(id); // refused, or gone within its 60 s lifetime
        }
      });
      await mustRefuse(ctx, { operation: 'rule', ...as }, why, `a rule on ${name}`, async () => {
        const id = ctx.ledger.intend({ runId: ctx.runId, kind: 'rule', rse: rse.rse, target: '', authMethod: ctx.authMethod });
        let ids: string[] = [];
        try {
          ids = await client!.addRule({ dids: [did], copies: 1, rseExpression: rse.rse, lifetime: 60 });
        } finally {
          if (ids[0]) ctx.ledger.created(id, ids[0]);
          else ctx.ledger.done(id);
        }
        if (ids[0]) await ctx.rucio.deleteRule(ids[0], true).then(() => ctx.ledger.done(id), () => undefined);
      });
      await mustRefuse(ctx, { operation: 'delete', ...as }, why, `deleting rule ${rule.id}`, () => client!.deleteRule(rule.id));
    }
  }
  await deleteRule(ctx, rse.rse, rule);
  await releaseFiles(ctx, [file]);
}
