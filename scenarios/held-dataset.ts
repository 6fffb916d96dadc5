// A dataset whose rule at an RSE exists before anything is registered there: files are then
// registered by attaching them with the RSE (registerBatch), so the rule holds each replica
// from the moment it exists. Rucio lets a scope owner register that way (gateway/did.py
// attach_dids checks only perm_attach_dids; core/did.py adds the replicas and queues the
// dataset for its rules), while no one but an admin may add replicas on most RSEs
// (perm_add_replicas) and no one at all may delete them (perm_delete_replicas): a replica
// registered before its rule and then refused one could never be removed by the probe.
import type { RunContext } from '../src/engine/run-context.js';
import type { RseInfo } from '../src/lake/rucio/index.js';
import { addRule, createDataset, type Did, type ProbeRule } from './steps.js';

export interface HeldDataset { info: RseInfo; dataset: Did; rule: ProbeRule }

/** Creates the dataset (with a lifetime) and its rule at the RSE; null when either is refused. */
export async function holdingDataset(ctx: RunContext, info: RseInfo, dataset: Did, lifetime: number): Promise<HeldDataset | null> {
  if (!(await createDataset(ctx, dataset, lifetime, info.rse))) return null;
  const rule = await addRule(ctx, dataset, info.rse, lifetime, { rse: info.rse }, 'DATASET');
  return rule ? { info, dataset, rule } : null;
}
