// Dashboards as data: what each panel shows and queries. build.ts turns a spec into
// Grafana JSON with the foundation SDK; tests run every query against Prometheus.

export type PanelKind = 'timeseries' | 'stat' | 'table' | 'bargauge';

export interface QuerySpec {
  expr: string;
  legend?: string;
  /** Table panels read instant vectors. */
  instant?: boolean;
}

export interface PanelSpec {
  title: string;
  description?: string;
  kind: PanelKind;
  unit?: string;
  queries: QuerySpec[];
  /** Table of source rows × destination columns (link matrix). */
  matrix?: boolean;
  /** Grid width (of 24) and height. */
  w?: number;
  h?: number;
}

export interface VariableSpec {
  name: string;
  label: string;
  /** label_values(...) query. */
  query: string;
  multi?: boolean;
}

export interface DashboardSpec {
  uid: string;
  /** File name under dashboards/, without .json. */
  file: string;
  title: string;
  description: string;
  tags: string[];
  variables: VariableSpec[];
  panels: PanelSpec[];
}
