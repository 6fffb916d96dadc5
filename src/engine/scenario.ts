import type { ZodType } from 'zod';
import type { CheckKind } from './op-result.js';
import type { RunContext } from './run-context.js';
import type { OutputKind } from './outputs.js';

/** A scenario kind: parameters are data (validated before the run), run() drives the lake through ctx. */
export interface Scenario<P = unknown> {
  name: string;
  description: string;
  params: ZodType<P>;
  run(ctx: RunContext, params: P): Promise<void>;
  /** Shrinks counts, sizes and durations by `factor` (0 < factor ≤ 1) for a rehearsal run (`lakeprobe run --scale`). */
  scale?(params: P, factor: number): P;
  /** The facts (deleted at origin, discoverable, placement…) a run with these params records, for the criteria that read them. */
  checks?(params: P): readonly CheckKind[];
  /**
   * The work these params ask for, in files and bytes (up to a factor that does not change with
   * --scale, e.g. the number of destinations): how `--scale` shrinks the criteria along with the work.
   */
  work?(params: P): { files: number; bytes: number };
  /** A credential expiring sooner than this many seconds makes the test's login (the runner's) a warning. */
  loginWarnSeconds?(params: P): number;
  /**
   * Whether a run with these params takes its RSEs from the test's selection (`ctx.rses`)
   * rather than from names in its params. Absent: it does. `validate` refuses such a test
   * when neither it nor the plan names RSEs, so no test runs on "the first RSE" of a lake.
   */
  usesRses?(params: P): boolean;
  /**
   * The transfers a run with these params waits for at full scale, each with the bound
   * that must let it finish (a params key in seconds: a rule timeout, a source lifetime).
   * `validate` refuses a bound shorter than the volume needs at the plan's link rate.
   */
  transferNeeds?(params: P): TransferNeed[];
  /** The outputs a run with these params publishes (ctx.publish) for tests that `consume` them. */
  publishes?(params: P): readonly OutputKind[];
  /** The kinds of another test's output this scenario reads instead of writing its own input (`consumes`). */
  consumes?: readonly OutputKind[];
}

export interface TransferNeed {
  /** Bytes the rule moves over one link. */
  bytes: number;
  /** The params key that bounds it, and its value in seconds. */
  param: string;
  seconds: number;
}

export function defineScenario<P>(scenario: Scenario<P>): Scenario<P> {
  return scenario;
}

/** The scenarios a run may use, by name. Built by the CLI; the engine never imports a scenario. */
export class ScenarioRegistry {
  private readonly byName = new Map<string, Scenario<unknown>>();

  register<P>(scenario: Scenario<P>): this {
    if (this.byName.has(scenario.name)) throw new Error(`scenario "${scenario.name}" registered twice`);
    this.byName.set(scenario.name, scenario as Scenario<unknown>);
    return this;
  }

  get(name: string): Scenario<unknown> | undefined {
    return this.byName.get(name);
  }

  names(): string[] {
    return [...this.byName.keys()].sort();
  }

  /** A registry with the same scenarios, to which a plan's own scenarios can be added. */
  copy(): ScenarioRegistry {
    const copy = new ScenarioRegistry();
    for (const s of this.byName.values()) copy.register(s);
    return copy;
  }
}
