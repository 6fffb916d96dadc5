import type { ProxyRenewalSpec } from '../lake/credentials/proxy-renewal.js';
import type { IssuedTokenSpec } from '../lake/credentials/token-renewal.js';
import type { IdentityFiles, IdentityRole } from './identities.js';
import type { ZodType } from 'zod';
import type { Scenario } from '../engine/scenario.js';
import type { Diagnostic } from './diagnostics.js';
import type { AuthMethodName } from './schema.js';
import type { RegressionRules } from '../probe/baseline.js';
import type { Threshold } from '../probe/threshold.js';
import type { ReportSuccess } from './report-schema.js';
import type { StorageTimeouts } from '../lake/storage/timeouts.js';
import type { ResolvedConsumes } from './consumes.js';

/** What the loader may look at besides the plan file itself. Injected so tests control it. */
export interface PlanContext {
  env: Record<string, string | undefined>;
  uid: number;
  /** The params schema of a registered scenario, undefined when no such scenario exists. */
  scenarioParams: (scenario: string) => ZodType | undefined;
  knownScenarios: string[];
  /** The plan-time hooks of a registered scenario (usesRses, transferNeeds). */
  scenarioHooks?: (scenario: string) => Pick<Scenario<unknown>, 'usesRses' | 'transferNeeds' | 'publishes' | 'consumes'> | undefined;
  /**
   * Registers a user scenario the plan names (`scenario: ./mine.ts`) once it is checked and
   * loaded; without it the loader loads none and such a reference is an unknown scenario.
   */
  registerScenario?: (scenario: Scenario<unknown>) => void;
  /** The facts a scenario records with these params (for criteria that need one); undefined: not known. */
  scenarioChecks?: (scenario: string, params: unknown) => readonly string[] | undefined;
}

export type PlanLoadResult =
  | { ok: true; plan: ResolvedPlan; diagnostics: Diagnostic[] }
  | { ok: false; diagnostics: Diagnostic[] };

export interface RseSelection {
  expression?: string;
  names?: string[];
}

export interface ResolvedLake {
  rucioHost?: string;
  authHost?: string;
  vo: string;
  account?: string;
  /** CA bundle file or certificate directory. */
  caPath?: string;
  insecure: boolean;
  /** Absolute path of the sandbox configuration file, when the plan names one. */
  sandboxConfig?: string;
  /** Request limits from `lake.timeouts`, in ms (only the phases the plan sets): storage and catalogue alike. */
  storageTimeouts?: Partial<StorageTimeouts>;
}

export interface ResolvedCredentials {
  /** `password` is a resolved secret: never print it. */
  userpass?: { username: string; password: string };
  /** `renew`: the command that renews the proxy ahead of its expiry. */
  x509?: { proxy: string; renew?: ProxyRenewalSpec } | { cert: string; key: string };
  /**
   * A token file, a token value taken from the environment (`source` names the variable),
   * or an issuer lakeprobe obtains tokens from (`clientSecret` is a resolved secret: never print it).
   */
  token?: { file: string } | { value: string; source: string } | { issued: IssuedTokenSpec };
}

export interface ResolvedSchedule {
  cron: string;
  offsetSeconds: number;
  jitterSeconds: number;
  jitterSeed?: string;
  /** IANA time zone of the cron expression (default UTC). */
  timezone?: string;
  /** The parameter a long-haul sweep cycles through, one value per fire. */
  cycle?: { param: string; values: (string | number)[] };
}

export interface ResolvedSuccess extends ReportSuccess {
  maxFailureRate?: number;
  maxP95Ms?: number;
}

export interface ResolvedTest {
  name: string;
  scenario: string;
  /** What the test is for, as the challenge report prints it. */
  description?: string;
  /** null: every method that has usable credentials at run time. */
  auth: AuthMethodName[] | null;
  rses?: RseSelection;
  /** Output of the scenario's params schema. */
  params: unknown;
  schedule?: ResolvedSchedule;
  success?: ResolvedSuccess;
  /** Under `run --scale`: the criteria as the plan writes them (success is then scaled with the work). */
  fullScaleSuccess?: ResolvedSuccess;
  /** Probe thresholds over this test's results only. */
  thresholds?: Threshold[];
  /** Operations in flight for this test (default 1). */
  concurrency?: number;
  /** The upstream output this test reads (`consumes`). */
  consumes?: ResolvedConsumes;
  /** The plan's tests that consume this test's output. */
  consumedBy?: { experiment: string; test: string }[];
  /** The agents that run this test (the test's `agent:`, else its experiment's); absent: no agent is named. */
  agents?: string[];
}

/** Plan-wide concurrency bounds (defaults in limits-schema.ts when absent). */
export interface ResolvedLimits {
  concurrency: number;
  testsInParallel: number;
  authMethodsInParallel: boolean;
}

export interface ResolvedExperiment {
  name: string;
  description?: string;
  tests: ResolvedTest[];
}

export interface ResolvedPlan {
  name: string;
  file: string;
  sandbox: boolean;
  lake: ResolvedLake;
  credentials: ResolvedCredentials;
  /** Credential files of other identities by role (src/plan/identities.ts), from the environment. */
  identities?: Partial<Record<IdentityRole, IdentityFiles>>;
  rses: RseSelection;
  experiments: ResolvedExperiment[];
  /** Probe thresholds over all results of a run. */
  thresholds?: Threshold[];
  /** Rules against a regression baseline (`lakeprobe probe --baseline`). */
  regression?: RegressionRules;
  limits?: ResolvedLimits;
  /** The plan's results store and journal (`results:`), files as absolute paths; --db and LAKEPROBE_DB win over them. */
  results?: { db?: string; journal?: string };
  /** The `run --scale` factor the plan was shrunk by (absent: full scale). */
  scale?: number;
  /** Each value taken from outside the plan, e.g. 'lake.rucio_host from /opt/rucio/etc/rucio.cfg'. Never a secret. */
  sources: string[];
}
