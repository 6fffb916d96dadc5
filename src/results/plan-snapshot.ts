// What a report needs from the plan, stored with each run so that `lakeprobe report --run ID`
// regenerates the same verdicts later, whatever happened to the plan file since.
import { createHash } from 'node:crypto';
import { z } from 'zod';
import { redact } from '../engine/redact.js';
import type { Sink } from '../engine/op-result.js';
import type { ScenarioRegistry } from '../engine/scenario.js';
import type { ResolvedPlan } from '../plan/index.js';

const MAX_PARAMS_CHARS = 4000;

const successSchema = z.object({
  maxFailureRate: z.number().optional(),
  maxP95Ms: z.number().optional(),
  minSuccessRate: z.number().optional(),
  minFiles: z.number().optional(),
  minBytes: z.number().optional(),
  withinSeconds: z.number().optional(),
  minRate: z.number().optional(),
  replicationTime: z.object({ percentile: z.number(), maxSeconds: z.number() }).optional(),
  maxRuleSeconds: z.number().optional(),
  deletedAtOrigin: z.boolean().optional(),
  replicas: z.array(z.object({ expression: z.string(), copies: z.number() })).optional(),
  discoverable: z.boolean().optional(),
  metadata: z.boolean().optional(),
  minAvailability: z.number().optional(),
});
export type SuccessSnapshot = z.output<typeof successSchema>;

export const planSnapshotSchema = z.object({
  planName: z.string(),
  planFile: z.string(),
  /** The `run --scale` factor; absent: full scale. */
  scale: z.number().optional(),
  rses: z.object({ expression: z.string().optional(), names: z.array(z.string()).optional() }),
  experiments: z.array(z.object({
    name: z.string(),
    description: z.string(),
    tests: z.array(z.object({
      name: z.string(),
      scenario: z.string(),
      description: z.string(),
      auth: z.array(z.string()).nullable(),
      rses: z.object({ expression: z.string().optional(), names: z.array(z.string()).optional() }).optional(),
      /** The scenario params as JSON, cut at MAX_PARAMS_CHARS. */
      params: z.string(),
      success: successSchema,
      /** Under --scale: the criteria as the plan writes them (`success` holds the scaled ones). */
      fullScaleSuccess: successSchema.optional(),
    })),
  })),
});

export type PlanSnapshot = z.output<typeof planSnapshotSchema>;
export type TestSnapshot = PlanSnapshot['experiments'][number]['tests'][number];

function paramsJson(params: unknown, secrets: string[]): string {
  // Params are data, but a plan could still carry a secret in one: never store it.
  const text = redact(JSON.stringify(params ?? {}) ?? '{}', secrets);
  return text.length > MAX_PARAMS_CHARS ? `${text.slice(0, MAX_PARAMS_CHARS)}…` : text;
}

/**
 * The report-relevant part of a plan: no credentials, no lake endpoints. A test without a
 * description of its own gets its scenario's (`scenarioDescription`), so every report line says what it tested.
 */
export function snapshotPlan(
  plan: ResolvedPlan, scenarioDescription: (scenario: string) => string | undefined = () => undefined,
  /** Every secret the plan knows (token files included); the plan's own password and token value are always added. */
  known: readonly string[] = [],
): PlanSnapshot {
  const c = plan.credentials;
  const secrets = [...known, c.userpass?.password ?? '', c.token && 'value' in c.token ? c.token.value : ''].filter(Boolean);
  return {
    planName: plan.name, planFile: plan.file, ...(plan.scale !== undefined ? { scale: plan.scale } : {}), rses: { ...plan.rses },
    experiments: plan.experiments.map((e) => ({
      name: e.name, description: e.description ?? '',
      tests: e.tests.map((t) => ({
        name: t.name, scenario: t.scenario, description: t.description ?? scenarioDescription(t.scenario) ?? '', auth: t.auth ? [...t.auth] : null,
        ...(t.rses ? { rses: { ...t.rses } } : {}),
        params: paramsJson(t.params, secrets), success: { ...(t.success ?? {}) },
        ...(t.fullScaleSuccess ? { fullScaleSuccess: { ...t.fullScaleSuccess } } : {}),
      })),
    })),
  };
}

/**
 * A sink that stores the plan with the run when the run begins, so its report is judged by
 * its own plan: what `run`, `probe` and the daemon all do. `runId` is the run it stored for.
 */
export function planSnapshotSink(
  store: { savePlan(runId: string, snapshot: PlanSnapshot): void }, plan: ResolvedPlan, registry: ScenarioRegistry,
  /** Every secret the plan knows, redacted from the snapshot (see snapshotPlan). */
  secrets: () => readonly string[] = () => [],
): Sink & { runId?: string } {
  const describe = (name: string): string | undefined => registry.get(name)?.description;
  const sink: Sink & { runId?: string } = {
    onBegin: (run) => {
      sink.runId = run.runId;
      store.savePlan(run.runId, snapshotPlan(plan, describe, secrets()));
    },
    onResult: () => {},
  };
  return sink;
}

/** Canonical JSON (sorted keys), so equal snapshots hash alike. */
function canonical(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonical).join(',')}]`;
  if (value && typeof value === 'object') {
    const entries = Object.entries(value).filter(([, v]) => v !== undefined).sort(([a], [b]) => a.localeCompare(b));
    return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${canonical(v)}`).join(',')}}`;
  }
  return JSON.stringify(value);
}

/** sha256 of the snapshot's canonical JSON: "the plan's hash" a report names. */
export function planHash(snapshot: PlanSnapshot): string {
  return createHash('sha256').update(canonical(snapshot)).digest('hex');
}
