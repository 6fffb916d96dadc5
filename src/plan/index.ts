export { loadPlanFile, loadPlanText } from './load.js';
export { formatDiagnostic, formatPath, hasErrors, type Diagnostic } from './diagnostics.js';
export { AUTH_METHODS, NAME_PATTERN, planSchema, type AuthMethodName, type PlanFile } from './schema.js';
export { cronProblem } from './cron.js';
export type {
  PlanContext,
  PlanLoadResult,
  ResolvedCredentials,
  ResolvedExperiment,
  ResolvedLake,
  ResolvedPlan,
  ResolvedSchedule,
  ResolvedLimits,
  ResolvedSuccess,
  ResolvedTest,
  RseSelection,
} from './resolved.js';
