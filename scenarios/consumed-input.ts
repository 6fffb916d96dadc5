// Reading another test's output (`consumes`) instead of writing fresh input: wait for the
// upstream's complete output, list its files, read each where the consumer runs when a
// replica is there. What a consumer reads is the upstream's data, never something it made.
import type { RunContext } from '../src/engine/run-context.js';
import type { OutputRecord } from '../src/engine/outputs.js';
import type { ParallelDigest } from '../src/lake/data/index.js';
import { downloadAndCompare, type Did } from './steps.js';

/** A file of the consumed output, at the replica the consumer reads. */
export interface ConsumedFile extends Did {
  rse: string;
  pfn: string;
  sums: ParallelDigest;
}

export interface ConsumedInput {
  output: OutputRecord;
  files: ConsumedFile[];
}

/** At most this many files are read from one consumed output (Rucio's bulk bound of a listing). */
const MAX_CONSUMED_FILES = 100_000;

/**
 * Waits for the consumed output (ctx.awaitInput: `upstream_starved` when it is late or stuck) and lists
 * its files' replicas in one listing; each file is read at the first of `prefer` holding it, else where the
 * upstream wrote it, else at any RSE listing it. Null when there is nothing to read (the failure is recorded).
 */
export async function consumeInput(ctx: RunContext, prefer: readonly string[]): Promise<ConsumedInput | null> {
  const output = await ctx.awaitInput();
  if (!output) return null;
  const listed = await ctx.op({ operation: 'list', rse: prefer[0] }, async (rec) => {
    if (output.ruleId) rec.ruleId(output.ruleId);
    const records = await ctx.rucio.listReplicas({ dids: [{ scope: output.scope, name: output.name }], schemes: ['davs', 'https', 'root'] });
    if (records.length === 0) throw new Error(`${output.kind} ${output.scope}:${output.name} of ${output.experiment}/${output.test} lists no file replica`);
    if (records.length > MAX_CONSUMED_FILES) throw new Error(`${output.scope}:${output.name} has ${records.length} files, more than the ${MAX_CONSUMED_FILES} a consumer reads`);
    return records.map((r) => {
      const rse = [...prefer, output.rse, ...Object.keys(r.rses).sort()].find((x) => x && r.rses[x]?.length);
      if (!rse || r.adler32 === null || r.bytes === null) {
        throw new Error(`${r.scope}:${r.name} of ${output.scope}:${output.name} has ${rse ? 'no adler32 or size in the catalogue' : 'no AVAILABLE replica'}`);
      }
      return { scope: r.scope, name: r.name, rse, pfn: (r.rses[rse] as string[])[0] as string, sums: { adler32: r.adler32, bytes: r.bytes } };
    }).sort((a, b) => a.name.localeCompare(b.name));
  });
  return listed.ok ? { output, files: listed.value } : null;
}

/** Reads every consumed file once (adler32 compared with the catalogue's), as the consumer's input. */
export async function readConsumed(ctx: RunContext, input: ConsumedInput): Promise<void> {
  await ctx.forEach(input.files, (f) => downloadAndCompare(ctx, f.rse, f));
}
