import { z } from 'zod';
import { defineScenario } from '../src/engine/scenario.js';
import { scaleSize } from '../src/engine/scale.js';
import type { RunContext } from '../src/engine/run-context.js';
import type { RseInfo } from '../src/lake/rucio/index.js';
import { holdingDataset, type HeldDataset } from './held-dataset.js';
import { addDatasetRule, awaitRule } from './rules.js';
import {
  deleteRule, downloadAndCompare, pollParam, type ProbeFile, probeTag, rseInfo, scopeParam, sizeParam, uploadFile, releaseFiles,
} from './steps.js';
import { registerBatch } from './upload-batch.js';

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
 * remaining lifetime recorded at login (a warning when it is short). Per RSE a dataset and
 * its rule come first; files are registered only under it (where it is refused, the
 * storage is still probed and nothing is registered).
 */
export default defineScenario({
  name: 'auth-matrix',
  description: 'Catalogue login, list, upload, download, delete and third-party copy per auth method, RSE and protocol',
  params: authMatrixParams,
  scale: (p, f) => ({ ...p, size: scaleSize(p.size, f) }),
  checks: (p) => (p.third_party_copy ? ['placement'] : []),
  // One file per RSE and scheme, whatever the scale.
  work: (p) => ({ files: 1, bytes: p.size }),
  // The test's login is the runner's (it warns of a credential about to expire): counted once.
  loginWarnSeconds: (p) => p.warn_seconds,
  async run(ctx, params) {
    // The RSE listing too: the runner's, when it resolved an expression; else this one.
    if (!ctx.listedRses) {
      const listed = await ctx.op({ operation: 'list' }, () => ctx.rucio.listRses());
      if (!listed.ok) return;
    }
    const scope = params.scope ?? `user.${ctx.account}`;
    const made: { file: ProbeFile; registered: boolean }[] = [];
    const held: HeldDataset[] = [];
    for (const name of ctx.rses) {
      const rse = await rseInfo(ctx, name);
      if (!rse) continue;
      const schemes = offered(rse, params.schemes);
      const holder = schemes.length ? await holdingDataset(ctx, rse, { scope, name: `${probeTag(ctx)}.${rse.rse}.ds` }, params.lifetime) : null;
      if (holder) held.push(holder);
      for (const scheme of schemes) {
        if (ctx.signal.aborted) return;
        made.push(...(await probeScheme(ctx, params, rse, scheme, holder)));
      }
    }
    await thirdPartyCopy(ctx, params, made);
    // Rules first (the lake reaps what they held), then the files the catalogue does not list.
    for (const h of held) await deleteRule(ctx, h.info.rse, h.rule);
    await releaseFiles(ctx, made.map((m) => m.file));
  },
});

/** A rule from the first RSE's file to the second RSE; the lake's transfer tool copies. */
async function thirdPartyCopy(ctx: RunContext, params: AuthMatrixParams, made: readonly { file: ProbeFile; registered: boolean }[]): Promise<void> {
  const [from, to] = ctx.rses;
  const copyable = made.find((m) => m.file.rse === from && m.registered);
  if (!params.third_party_copy || !to || !copyable) return;
  const rule = await addDatasetRule(ctx, copyable.file, { expression: to, copies: 1, lifetime: params.lifetime, grouping: 'NONE' }, { srcRse: from });
  if (!rule) return;
  await awaitRule(ctx, rule, { timeoutSeconds: params.timeout_seconds, pollSeconds: params.poll_seconds, srcRse: from as string, files: [copyable.file] });
  await deleteRule(ctx, to, rule);
}

function offered(rse: RseInfo, wanted: readonly string[]): string[] {
  const schemes = new Set(rse.protocols.map((p) => p.scheme));
  return wanted.filter((s) => schemes.has(s));
}

/** Upload, register under the RSE's dataset rule (when there is one), download. */
async function probeScheme(
  ctx: RunContext, params: AuthMatrixParams, rse: RseInfo, scheme: string, holder: HeldDataset | null,
): Promise<{ file: ProbeFile; registered: boolean }[]> {
  const did = { scope: params.scope ?? `user.${ctx.account}`, name: `${probeTag(ctx)}.ds.${rse.rse}.${scheme}` };
  const file = await uploadFile(ctx, rse, did, params.size, [scheme]);
  if (!file) return [];
  const registered = holder ? await registerBatch(ctx, rse, holder.dataset, [file]) : false;
  await downloadAndCompare(ctx, rse.rse, file);
  return [{ file, registered }];
}
