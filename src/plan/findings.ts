import type { Diagnostic, PathSegment } from './diagnostics.js';
import type { PlanIssue } from './validate.js';

/** What resolving the plan's surroundings found: where values came from, and what went wrong. */
export class Findings {
  readonly sources: string[] = [];
  /** Anchored at a path of the plan file. */
  readonly issues: PlanIssue[] = [];
  /** Anchored in another file (rucio.cfg). */
  readonly diagnostics: Diagnostic[] = [];

  from(field: string, origin: string): void {
    this.sources.push(`${field} from ${origin}`);
  }

  error(path: PathSegment[], message: string): void {
    this.issues.push({ path, message, severity: 'error' });
  }

  warn(path: PathSegment[], message: string): void {
    this.issues.push({ path, message, severity: 'warning' });
  }

  warnAt(file: string, line: number, message: string): void {
    this.diagnostics.push({ file, line, column: 1, path: '', message, severity: 'warning' });
  }
}
