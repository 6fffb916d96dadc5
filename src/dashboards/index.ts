export { ALERT_RULES, renderAlertRules, PUSH_TIME_METRIC, type AlertRule } from './alerts.js';
export { buildDashboard, renderDashboards } from './build.js';
export { DASHBOARDS } from './definitions.js';
export { knownSeries, seriesIn } from './promql.js';
export type { DashboardSpec, PanelSpec, QuerySpec } from './spec.js';
export { ALERTS_FILE, generatedFiles, writeGenerated } from './write.js';
