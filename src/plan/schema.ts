// The plan file as written (snake_case, as in YAML). Objects are strict: an unknown key is
// an error, so a typo never silently turns into a default. Scenario params are checked
// later against each scenario's own schema, and cross-object rules (unique names, known
// scenarios, credentials present) are checked on the whole plan in checks.ts.
import { z } from 'zod';
import { regressionSchema, thresholdsSchema } from './probe-schema.js';
import { scheduleSchema } from './schedule-schema.js';
import { reportSuccessKeys, reportTestKeys, successProblems } from './report-schema.js';
import { lakeTimeoutsSchema } from './lake-timeouts.js';
import {
  MAX_DESCRIPTION_LENGTH, MAX_EXPERIMENTS, MAX_NAME_LENGTH, MAX_P95_MS, MAX_RSE_NAMES,
  MAX_TESTS_PER_EXPERIMENT, MAX_TEXT_LENGTH,
} from './bounds.js';
import { rseExpressionString } from './rse-expression.js';
import { limitsSchema, testConcurrencySchema } from './limits-schema.js';
import { consumesSchema } from './consumes.js';
import { agentsSchema } from './agent-schema.js';
import { resultsSchema } from './results-schema.js';

export const NAME_PATTERN = /^[A-Za-z0-9][A-Za-z0-9_.-]*$/;
export const AUTH_METHODS = ['userpass', 'x509', 'token'] as const;
export type AuthMethodName = (typeof AUTH_METHODS)[number];

const nonEmpty = z.string().min(1).max(MAX_TEXT_LENGTH, { error: `at most ${MAX_TEXT_LENGTH} characters` });

const name = z.string()
  .max(MAX_NAME_LENGTH, { error: `at most ${MAX_NAME_LENGTH} characters` })
  .regex(NAME_PATTERN, {
    error: 'must start with a letter or digit and contain only letters, digits, "_", "." and "-"',
  });

export const lakeSchema = z.strictObject({
  sandbox: z.boolean().optional(),
  /** Sandbox lake configuration file (storage kind, RSEs, links, faults), relative to the plan. */
  sandbox_config: nonEmpty.optional(),
  rucio_host: z.url({ protocol: /^https?$/, error: 'must be an http(s) URL' }).optional(),
  auth_host: z.url({ protocol: /^https?$/, error: 'must be an http(s) URL' }).optional(),
  vo: nonEmpty.optional(),
  account: nonEmpty.optional(),
  ca_cert: nonEmpty.optional(),
  insecure: z.boolean().optional(),
  timeouts: lakeTimeoutsSchema.optional(),
});

const userpassSchema = z
  .strictObject({
    username: nonEmpty.optional(),
    password_env: nonEmpty.optional(),
    password_file: nonEmpty.optional(),
    // Declared only to refuse it with a helpful message instead of "unknown key".
    password: z
      .never({ error: 'inline passwords are refused: use password_env (an environment variable name) or password_file' })
      .optional(),
  })
  .superRefine((v, ctx) => {
    if (v.password_env !== undefined && v.password_file !== undefined) {
      ctx.addIssue({ code: 'custom', path: ['password_file'], message: 'set only one of password_env, password_file' });
    }
  });

/** Renewal ahead of expiry: IAM tokens live about an hour, so a few minutes is usual. */
export const DEFAULT_RENEW_MARGIN_SECONDS = 300;
const MAX_RENEW_MARGIN_SECONDS = 86_400;
const MAX_RENEW_ARGS = 64;
const MAX_RENEW_TIMEOUT_SECONDS = 3600;
const x509Schema = z
  .strictObject({
    proxy: nonEmpty.optional(), cert: nonEmpty.optional(), key: nonEmpty.optional(),
    /** argv (no shell) of a command that renews the proxy file, e.g. [voms-proxy-init, --rfc, --voms, vo]. */
    renew_command: z.array(nonEmpty.max(4096)).min(1).max(MAX_RENEW_ARGS, { error: `at most ${MAX_RENEW_ARGS} arguments` }).optional(),
    renew_margin_seconds: z.number().int().min(1).max(MAX_RENEW_MARGIN_SECONDS, { error: `at most ${MAX_RENEW_MARGIN_SECONDS} (a day)` }).optional(),
    renew_timeout_seconds: z.number().int().min(1).max(MAX_RENEW_TIMEOUT_SECONDS, { error: `at most ${MAX_RENEW_TIMEOUT_SECONDS} (an hour)` }).optional(),
  })
  .superRefine((v, ctx) => {
    if (v.proxy === undefined || v.renew_command === undefined) {
      for (const key of ['renew_command', 'renew_margin_seconds', 'renew_timeout_seconds'] as const) {
        if (v[key] !== undefined && !(key === 'renew_command' && v.proxy !== undefined)) {
          ctx.addIssue({ code: 'custom', path: [key], message: v.proxy === undefined ? 'applies only to a proxy' : 'applies only with renew_command' });
        }
      }
    }
    if (v.proxy !== undefined && (v.cert !== undefined || v.key !== undefined)) {
      ctx.addIssue({ code: 'custom', message: 'set either proxy, or cert and key, not both' });
    } else if (v.proxy === undefined && (v.cert === undefined || v.key === undefined)) {
      ctx.addIssue({ code: 'custom', message: 'set proxy, or both cert and key' });
    }
  });

export const TOKEN_GRANTS = ['client_credentials', 'refresh_token', 'token_exchange'] as const;
const ISSUER_KEYS = [
  'client_id', 'client_secret_file', 'client_secret_env', 'grant', 'refresh_token_file', 'subject_token_file',
  'audience', 'scope', 'renew_margin_seconds', 'per_operation',
] as const;

const tokenSchema = z
  .strictObject({
    file: nonEmpty.optional(),
    env: nonEmpty.optional(),
    /** An OAuth 2.0 / OIDC issuer lakeprobe obtains tokens from (its OpenID configuration gives the token endpoint). */
    issuer: z.url({ protocol: /^https?$/, error: 'must be an http(s) URL' }).optional(),
    client_id: nonEmpty.optional(),
    client_secret_file: nonEmpty.optional(),
    client_secret_env: nonEmpty.optional(),
    // Declared only to refuse them with a helpful message instead of "unknown key".
    client_secret: z
      .never({ error: 'inline client secrets are refused: use client_secret_file or client_secret_env' })
      .optional(),
    refresh_token: z
      .never({ error: 'inline refresh tokens are refused: use refresh_token_file (as oidc-agent or IAM hand it out)' })
      .optional(),
    grant: z.enum(TOKEN_GRANTS).optional(),
    refresh_token_file: nonEmpty.optional(),
    subject_token_file: nonEmpty.optional(),
    audience: nonEmpty.optional(),
    scope: nonEmpty.optional(),
    /** Storage requests get a token of their endpoint's audience and least path scope, not the one token. */
    per_operation: z.boolean().optional(),
    renew_margin_seconds: z.number().int().min(1).max(MAX_RENEW_MARGIN_SECONDS, { error: `at most ${MAX_RENEW_MARGIN_SECONDS} (a day)` }).optional(),
  })
  .superRefine((v, ctx) => {
    const given = [v.file, v.env, v.issuer].filter((x) => x !== undefined).length;
    if (given !== 1) {
      ctx.addIssue({ code: 'custom', message: 'set exactly one of file, env, issuer' });
      return;
    }
    if (v.issuer === undefined) {
      for (const key of ISSUER_KEYS) {
        if (v[key] !== undefined) ctx.addIssue({ code: 'custom', path: [key], message: 'applies only with issuer' });
      }
      return;
    }
    if (v.client_id === undefined) ctx.addIssue({ code: 'custom', path: ['client_id'], message: 'is required with issuer' });
    if ((v.client_secret_file === undefined) === (v.client_secret_env === undefined)) {
      ctx.addIssue({ code: 'custom', message: 'set exactly one of client_secret_file, client_secret_env' });
    }
    const grant = v.grant ?? 'client_credentials';
    if (grant === 'refresh_token' && v.refresh_token_file === undefined) {
      ctx.addIssue({ code: 'custom', path: ['refresh_token_file'], message: 'is required for grant refresh_token' });
    }
    if (grant !== 'refresh_token' && v.refresh_token_file !== undefined) {
      ctx.addIssue({ code: 'custom', path: ['refresh_token_file'], message: 'applies only to grant refresh_token' });
    }
    if (grant === 'token_exchange' && v.subject_token_file === undefined) {
      ctx.addIssue({ code: 'custom', path: ['subject_token_file'], message: 'is required for grant token_exchange' });
    }
    if (grant !== 'token_exchange' && v.subject_token_file !== undefined) {
      ctx.addIssue({ code: 'custom', path: ['subject_token_file'], message: 'applies only to grant token_exchange' });
    }
  });

export const credentialsSchema = z.strictObject({
  userpass: userpassSchema.optional(),
  x509: x509Schema.optional(),
  token: tokenSchema.optional(),
});

export const rsesSchema = z
  .strictObject({ expression: rseExpressionString(nonEmpty).optional(), names: z.array(nonEmpty).min(1).max(MAX_RSE_NAMES, { error: `at most ${MAX_RSE_NAMES} RSEs` }).optional() })
  .superRefine((v, ctx) => {
    if (v.expression !== undefined && v.names !== undefined) {
      ctx.addIssue({ code: 'custom', message: 'set either expression or names, not both' });
    }
  });

const successSchema = z.strictObject({
  max_failure_rate: z.number().min(0).max(1).optional(),
  max_p95_ms: z.number().positive().max(MAX_P95_MS, { error: `at most ${MAX_P95_MS} (a day)` }).optional(),
  ...reportSuccessKeys,
}).superRefine(successProblems);

export const testSchema = z.strictObject({
  name,
  scenario: nonEmpty,
  ...reportTestKeys,
  auth: z
    .array(z.enum(AUTH_METHODS))
    .min(1)
    .refine((list) => new Set(list).size === list.length, { error: 'lists a method twice' })
    .optional(),
  rses: rsesSchema.optional(),
  params: z.unknown().optional(),
  schedule: scheduleSchema.optional(),
  success: successSchema.optional(),
  thresholds: thresholdsSchema.optional(),
  concurrency: testConcurrencySchema.optional(),
  /** Another test's output this test reads instead of writing its own input (src/plan/consumes.ts). */
  consumes: consumesSchema.optional(),
  /** The agent(s) that run this test (default: the experiment's). */
  agent: agentsSchema.optional(),
});

export const experimentSchema = z.strictObject({
  name,
  description: z.string().max(MAX_DESCRIPTION_LENGTH, { error: `at most ${MAX_DESCRIPTION_LENGTH} characters` }).optional(),
  /** The agent(s) that run the experiment's tests that name none. */
  agent: agentsSchema.optional(),
  tests: z.array(testSchema).min(1).max(MAX_TESTS_PER_EXPERIMENT, { error: `at most ${MAX_TESTS_PER_EXPERIMENT} tests` }),
});

export const planSchema = z.strictObject({
  name: name.optional(),
  lake: lakeSchema.optional(),
  credentials: credentialsSchema.optional(),
  rses: rsesSchema.optional(),
  thresholds: thresholdsSchema.optional(),
  regression: regressionSchema.optional(),
  limits: limitsSchema.optional(),
  /** Where runs are recorded when neither --db nor LAKEPROBE_DB says. */
  results: resultsSchema.optional(),
  /** Folders besides the plan's own where its user scenarios (`scenario: x.ts`) may live, relative to the plan. */
  scenario_dirs: z.array(nonEmpty).min(1).max(20).optional(),
  experiments: z.array(experimentSchema).min(1).max(MAX_EXPERIMENTS, { error: `at most ${MAX_EXPERIMENTS} experiments` }),
});

export type PlanFile = z.output<typeof planSchema>;
export type LakeSection = z.output<typeof lakeSchema>;
export type CredentialsSection = z.output<typeof credentialsSchema>;
export type TestSection = z.output<typeof testSchema>;
