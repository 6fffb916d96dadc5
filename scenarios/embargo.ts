import { z } from 'zod';
import { defineScenario } from '../src/engine/scenario.js';
import { scaleSize } from '../src/engine/scale.js';
import type { RunContext } from '../src/engine/run-context.js';
import { syntheticStream } from '../src/lake/data/index.js';
import { selectProtocol, type RseInfo } from '../src/lake/rucio/index.js';
import { actingAs, mustRefuse, openOutsider, proveStorage, type Outsider } from './embargo-outsider.js';
import { checkCatalogueEmbargo } from './embargo-catalogue.js';
import { InconclusiveError } from '../src/lake/errors.js';
import { IDENTITY_ROLES, identityEnvNames } from '../src/plan/identities.js';
import {
  lifetimeParam, probeTag, rseInfo, sizeParam,
} from './steps.js';

const pathParam = z.string().regex(/^\/[A-Za-z0-9_./-]*$/).max(200);

export const embargoParams = z.object({
  size: sizeParam.default(4096),
  /** Embargoed area on each storage, as a path from the endpoint's root. */
  path: pathParam.default('/embargo'),
  /** An area the outsider may read: its read there proves its credential works. Default: the RSE's data prefix. */
  open_path: pathParam.optional(),
  /** Embargoed Rucio scope (member-only DIDs, replicas and rules); omit to check storage only. */
  scope: z.string().regex(/^[a-zA-Z_\-.0-9]+$/).max(25).optional(),
  /**
   * An identity outside the embargo group, by `role` (its credentials as the lake in use
   * names them, e.g. the sandbox's non-member wherever its folder is) or by credential
   * files: it must be refused with each of its credentials.
   */
  outsider: z.object({
    role: z.enum(IDENTITY_ROLES).optional(),
    proxy: z.string().max(4096).optional(),
    token_file: z.string().max(4096).optional(),
    /** The outsider's Rucio account, for the catalogue checks. */
    account: z.string().regex(/^[a-z0-9_-]+$/).max(25).default('outsider'),
  }).strict()
    .refine((o) => Boolean(o.role) !== (Boolean(o.proxy) || Boolean(o.token_file)), { message: 'set role, or proxy, token_file or both' }),
  /** After this instant (ISO 8601) the embargo is over: the outsider's reads must succeed, writes stay refused. */
  embargo_until: z.iso.datetime({ offset: true }).optional(),
  lifetime: lifetimeParam,
}).strict();

export type EmbargoParams = z.output<typeof embargoParams>;

/**
 * Embargoed data: the member writes, reads, lists and deletes in the embargoed storage
 * area (and, with `scope`, in the embargoed Rucio scope); the outsider, first proved to
 * work, must be refused each of those, with x509 and with a token. Any success of the
 * outsider is a critical embargo_violation; an unproved outsider makes the check inconclusive.
 */
export default defineScenario({
  name: 'embargo',
  description: 'Check that embargoed storage areas and scopes admit group members and refuse everyone else',
  params: embargoParams,
  scale: (p, f) => ({ ...p, size: scaleSize(p.size, f) }),
  work: (p) => ({ files: 1, bytes: p.size }),
  async run(ctx, params) {
    const outsiders: Outsider[] = [];
    const { account, role: outsiderRole } = params.outsider;
    const byRole = outsiderRole ? ctx.identityFiles(outsiderRole) : undefined;
    if (outsiderRole && !byRole) {
      // Without the outsider's credentials every check would be inconclusive: say why once.
      const names = Object.values(identityEnvNames(outsiderRole)).join(' or ');
      await ctx.op({ operation: 'auth', role: outsiderRole }, () =>
        Promise.reject(new InconclusiveError(`the lake in use names no credentials for the role "${outsiderRole}" (set ${names})`)));
      return;
    }
    const proxy = byRole ? byRole.proxy : params.outsider.proxy;
    const tokenFile = byRole ? byRole.tokenFile : params.outsider.token_file;
    if (proxy) outsiders.push(await openOutsider(ctx, 'x509', proxy, account));
    if (tokenFile) outsiders.push(await openOutsider(ctx, 'token', tokenFile, account));
    const ended = params.embargo_until !== undefined && Date.parse(params.embargo_until) <= Date.now();
    for (const rse of ctx.rses) {
      if (ctx.signal.aborted) return;
      const info = await rseInfo(ctx, rse);
      if (info) await probeRse(ctx, params, info, outsiders, ended);
    }
    if (params.scope && ctx.rses[0]) await checkCatalogueEmbargo(ctx, params, ctx.rses[0], outsiders, ended);
  },
});

async function probeRse(ctx: RunContext, params: EmbargoParams, info: RseInfo, outsiders: Outsider[], ended: boolean): Promise<void> {
  const rse = info.rse;
  const base = await ctx.op({ operation: 'list', rse }, async () => {
    const p = selectProtocol(info, 'write', ['davs', 'https']);
    return { root: `${p.scheme}://${p.hostname}:${p.port}`, prefix: p.prefix.replace(/\/$/, '') };
  });
  if (!base.ok) return;
  const leaf = `lakeprobe/${probeTag(ctx)}.${rse}`;
  const url = `${base.value.root}${params.path.replace(/\/$/, '')}/${leaf}`;
  const openUrl = `${base.value.root}${(params.open_path ?? base.value.prefix).replace(/\/$/, '')}/${leaf}.open`;
  const member = ctx.storage('davs');
  const put = async (target: string): Promise<number | null> => {
    const written = await ctx.op({ operation: 'upload', rse, protocol: 'davs', bytes: params.size }, async () => {
      const id = ctx.ledger.intend({ runId: ctx.runId, kind: 'storage_file', rse, target, authMethod: ctx.authMethod });
      await member.put(target, syntheticStream({ seed: target, size: params.size }), params.size);
      ctx.ledger.created(id);
      return id;
    });
    return written.ok ? written.value : null;
  };
  const remove = async (target: string, ledgerId: number): Promise<void> => {
    await ctx.op({ operation: 'delete', rse, protocol: 'davs' }, async () => {
      if (await member.stat(target)) await member.delete(target);
      ctx.ledger.done(ledgerId);
    });
  };
  const written = await put(url);
  const open = await put(openUrl);
  if (written !== null) {
    await ctx.op({ operation: 'access', rse, protocol: 'davs', bytes: params.size }, async () => {
      const stream = await member.get(url);
      let bytes = 0;
      for await (const chunk of stream) bytes += (chunk as Buffer).length;
      if (bytes !== params.size) throw new Error(`member read ${bytes} of ${params.size} bytes`);
    });
    await ctx.op({ operation: 'list', rse, protocol: 'davs' }, async () => {
      if (!(await member.stat(url))) throw new Error(`member cannot see ${url}`);
    });
    for (const o of outsiders) {
      const proved = open !== null && (await proveStorage(ctx, o, rse, openUrl));
      const why = proved ? null : `the outsider's ${o.kind} credential did not read open data on ${rse}`;
      const as = { rse, protocol: 'davs', ...actingAs(o) };
      const driver = o.storage;
      await mustRefuse(ctx, { operation: 'access', ...as }, why, `reading ${url}`, async () => {
        (await driver?.get(url))?.destroy();
      }, ended);
      await mustRefuse(ctx, { operation: 'list', ...as }, why, `listing ${url}`, async () => {
        if (!(await driver?.stat(url))) throw new Error(`${url} not visible to the outsider`);
      }, ended);
      // Delete before write: a refused PUT may leave the driver's connection unusable.
      await mustRefuse(ctx, { operation: 'delete', ...as }, why, `deleting ${url}`, async () => {
        await driver?.delete(url);
      });
      const intruder = `${url}.${o.kind}`;
      await mustRefuse(ctx, { operation: 'upload', ...as, bytes: params.size }, why, `writing ${intruder}`, async () => {
        const id = ctx.ledger.intend({ runId: ctx.runId, kind: 'storage_file', rse, target: intruder, authMethod: ctx.authMethod });
        try {
          await driver?.put(intruder, syntheticStream({ seed: intruder, size: params.size }), params.size);
        } catch (e) {
          ctx.ledger.done(id); // refused: nothing was created
          throw e;
        }
        ctx.ledger.created(id);
        await remove(intruder, id); // the member removes what the outsider should not have written
      });
    }
    await remove(url, written);
  }
  if (open !== null) await remove(openUrl, open);
}
