import { z } from 'zod';
import { defineScenario } from '../src/engine/scenario.js';
import { scaleSize } from '../src/engine/scale.js';
import type { RunContext } from '../src/engine/run-context.js';
import type { RseInfo } from '../src/lake/rucio/index.js';
import { addDatasetRule, awaitRule } from './rules.js';
import {
  addRule, createDataset, dropReplica, deleteFile, deleteRule, downloadAndCompare, pollParam, type ProbeFile, type ProbeRule, probeTag, registerFile, rseInfo, ruleHolds, scopeParam, sizeParam, uploadFile,
} from './steps.js';

export const authMatrixParams = z.object({
  size: sizeParam.default(64 * 1024),
  /** Storage schemes tried on each RSE that offers them. */
  schemes: z.array(z.enum(['davs', 'https', 'root'])).min(1).max(3).default(['davs', 'root']),
  /** A credential that expires sooner than this is a warning (DAC21 KM3NeT renewed proxies by hand every day). */
  warn_seconds: z.number().int().min(0).max(30 * 86_400).default(6 * 3600),
  /** Third-party copy (a rule from the first to the second RSE, the lake's transfer tool copies). */
  third_party_copy: z.boolean().default(true),
  scope: scopeParam.optional(),
  lifetime: z.number().int().positive().max(86_400).default(3600),
  timeout_seconds: z.number().positive().max(86_400).default(300),
  poll_seconds: pollParam,
}).strict();
export type AuthMatrixParams = z.output<typeof authMatrixParams>;

/**
 * The same operations under each auth method of the test (list `auth: [userpass, x509,
 * token]` in the plan to have them side by side): catalogue login, list, upload,
 * download, delete and third-party copy, per RSE and protocol, with the credential's
 * remaining lifetime recorded at login (a warning when it is short).
 */
export default defineScenario({
  name: 'auth-matrix',
  description: 'Catalogue login, list, upload, download, delete and third-party copy per auth method, RSE and protocol',
  params: authMatrixParams,
  scale: (p, f) => ({ ...p, size: scaleSize(p.size, f) }),
  async run(ctx, params) {
    const login = await ctx.op({ operation: 'auth' }, async (rec) => {
      const { expiresAt } = await ctx.rucio.authenticate();
      const credential = ctx.rucio.credentialExpiresAt();
      const parts = [credential && `${ctx.authMethod} credential ${remaining(credential)}`, expiresAt && `catalogue token ${remaining(expiresAt)}`];
      // The catalogue token is renewed by logging in again; the credential behind it is not.
      if (credential && credential.getTime() - Date.now() < params.warn_seconds * 1000) {
        rec.warn(`credential expires soon: ${parts.filter(Boolean).join(', ')}; renew it before it does`);
      }
    });
    if (!login.ok) return;
    const listed = await ctx.op({ operation: 'list' }, () => ctx.rucio.listRses());
    if (!listed.ok) return;
    const dataset = { scope: params.scope ?? `user.${ctx.account}`, name: `${probeTag(ctx)}.ds` };
    if (!(await createDataset(ctx, dataset, params.lifetime))) return;
    const made: { file: ProbeFile; rule: ProbeRule | null }[] = [];
    for (const name of ctx.rses) {
      const rse = await rseInfo(ctx, name);
      if (!rse) continue;
      for (const scheme of offered(rse, params.schemes)) {
        if (ctx.signal.aborted) return;
        made.push(...(await probeScheme(ctx, params, rse, scheme, dataset)));
      }
    }
    const [from, to] = ctx.rses;
    const copyable = made.find((m) => m.file.rse === from && m.rule);
    if (params.third_party_copy && to && copyable) {
      const rule = await addDatasetRule(ctx, copyable.file, { expression: to, copies: 1, lifetime: params.lifetime, grouping: 'NONE' }, { srcRse: from });
      if (rule) {
        await awaitRule(ctx, rule, { timeoutSeconds: params.timeout_seconds, pollSeconds: params.poll_seconds, srcRse: from as string, files: [copyable.file] });
        await deleteRule(ctx, to, rule);
      }
    }
    for (const { file, rule } of made) {
      if (rule) await deleteRule(ctx, file.rse, rule);
      await deleteFile(ctx, file);
    }
  },
});

const remaining = (d: Date): string => `expires ${d.toISOString()} (in ${Math.round((d.getTime() - Date.now()) / 1000)} s)`;

function offered(rse: RseInfo, wanted: readonly string[]): string[] {
  const schemes = new Set(rse.protocols.map((p) => p.scheme));
  return wanted.filter((s) => schemes.has(s));
}

async function probeScheme(
  ctx: RunContext, params: AuthMatrixParams, rse: RseInfo, scheme: string, dataset: { scope: string; name: string },
): Promise<{ file: ProbeFile; rule: ProbeRule | null }[]> {
  const did = { scope: dataset.scope, name: `${dataset.name}.${rse.rse}.${scheme}` };
  const file = await uploadFile(ctx, rse, did, params.size, [scheme]);
  if (!file) return [];
  const registered = await registerFile(ctx, file, rse.deterministic, dataset);
  const rule = registered ? await addRule(ctx, did, rse.rse, params.lifetime, { rse: rse.rse }) : null;
  if (rule) ruleHolds(ctx, file);
  else if (registered) await dropReplica(ctx, file);
  await downloadAndCompare(ctx, rse.rse, file.pfn, file.sums);
  return [{ file, rule }];
}
