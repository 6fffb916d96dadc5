import { z } from 'zod';
import { defineScenario } from '../src/engine/scenario.js';
import type { RunContext } from '../src/engine/run-context.js';
import { RseConfigError, RseSelectionError } from '../src/lake/errors.js';
import { AUDIT_OPERATIONS, describeRse, disabledFlags, missingOperations, qosProblem } from '../src/lake/rse-audit.js';
import { resolveRseExpression } from '../src/lake/rse-selection.js';
import type { RseAttributes, RseInfo } from '../src/lake/rucio/index.js';
import { rseExpressionString } from '../src/plan/rse-expression.js';

const rseName = z.string().regex(/^([A-Z0-9]+([_-][A-Z0-9]+)*)$/, { error: 'must be an RSE name like SITE-DISK' });

export const rseAuditParams = z.object({
  /** The QoS class the plan relies on at each RSE (e.g. { FAIR-ROOT: FAST }); a missing, null or other class is reported. */
  qos: z.record(rseName, z.string().min(1).max(64)).default({}).refine((m) => Object.keys(m).length <= 200, { error: 'at most 200 RSEs' }),
  /** RSE expressions the plan's rules and selections use: each must resolve, and a QoS one only to RSEs with a class. */
  expressions: z.array(rseExpressionString(z.string().min(1).max(500))).max(100).default([]),
  /** Operations every audited RSE must offer over WAN (a protocol with that operation's priority > 0). */
  operations: z.array(z.enum(AUDIT_OPERATIONS)).min(1).max(AUDIT_OPERATIONS.length).default(['read', 'write', 'delete']),
  /** Source → destination pairs the plan moves data over: each needs a distance, else Rucio finds no path. */
  links: z.array(z.object({ from: rseName, to: rseName }).strict()).max(200).default([]),
}).strict();
export type RseAuditParams = z.output<typeof rseAuditParams>;

/**
 * RSE audit before a challenge: for the test's RSEs (and those its params name) the settings,
 * attributes, protocols per operation and distances as the catalogue answers them, each
 * problem one failed result naming what to fix — an availability flag off, an operation no
 * protocol offers, a missing distance (`rse_config`), a QoS class missing or null, an
 * expression resolving to nothing (`rse_selection`). What it reads is a `list`, each judgement a
 * `verify`. It writes nothing to the lake.
 */
export default defineScenario({
  name: 'rse-audit',
  description: 'Audit RSEs before a challenge: availability flags, attributes and QoS class, protocols per operation, distances',
  params: rseAuditParams,
  checks: () => [],
  usesRses: () => true,
  async run(ctx, params) {
    const names = [...new Set([...ctx.rses, ...Object.keys(params.qos), ...params.links.flatMap((l) => [l.from, l.to])])].sort();
    for (const rse of names) {
      if (ctx.signal.aborted) return;
      const read = await ctx.op({ operation: 'list', rse }, async () => {
        const [info, attributes] = await Promise.all([ctx.rucio.getRse(rse), ctx.rucio.listRseAttributes(rse)]);
        return { info, attributes };
      });
      if (read.ok) await auditRse(ctx, params, read.value.info, read.value.attributes);
    }
    for (const expression of params.expressions) {
      await ctx.op({ operation: 'verify' }, async () => {
        ctx.log(`${ctx.test}: ${expression} → ${(await resolveRseExpression(ctx.rucio, expression)).join(', ')}`);
      });
    }
    for (const { from, to } of params.links) {
      await ctx.op({ operation: 'verify', srcRse: from, dstRse: to }, async () => {
        const rows = await ctx.rucio.getDistances(from, to);
        const distance = rows.map((r) => r.distance ?? r.ranking).find((d) => typeof d === 'number');
        if (distance === undefined) {
          throw new RseConfigError(`no distance from ${from} to ${to}: Rucio finds no path for their transfers (NO_SOURCES); add one (rucio-admin rse add-distance ${from} ${to})`);
        }
        ctx.log(`${ctx.test}: distance ${from} → ${to}: ${distance}`);
      });
    }
  },
});

async function auditRse(ctx: RunContext, params: RseAuditParams, info: RseInfo, attributes: RseAttributes): Promise<void> {
  const rse = info.rse;
  ctx.log(`${ctx.test}: ${describeRse(info, attributes)}`);
  await ctx.op({ operation: 'verify', rse }, async () => {
    const off = disabledFlags(info);
    if (off.length) {
      throw new RseConfigError(`${rse}: ${off.map((f) => `${f} is false`).join(', ')}: Rucio ${off.includes('availability_write') ? 'places no upload or rule there (RSEWriteBlocked)' : 'skips it for those operations'}; set it back (rucio-admin rse update --rse ${rse} --setting ${off[0]} --value True)`);
    }
  });
  await ctx.op({ operation: 'verify', rse }, async () => {
    const missing = missingOperations(info.protocols ?? [], params.operations);
    if (missing.length) throw new RseConfigError(`${rse}: no WAN protocol offers ${missing.join(', ')}; add or fix its protocols (rucio-admin rse add-protocol)`);
  });
  const expected = params.qos[rse];
  if (expected !== undefined) {
    await ctx.op({ operation: 'verify', rse }, async () => {
      const problem = qosProblem(rse, attributes, expected);
      if (problem) throw new RseSelectionError(`${problem}; set it (rucio-admin rse set-attribute --rse ${rse} --key QOS --value ${expected})`);
    });
  }
}
