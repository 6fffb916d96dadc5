import { createTask, type ScheduledTask } from 'node-cron';

// node-cron 4 parses the expression and walks to the next match in a time zone.
// Its public API computes only from the wall clock, and the daemon needs "the next
// match after t" (offsets, cycles, a fake clock in tests), so this reaches the
// task's matcher; the check below fails loudly if a node-cron release renames it.
// The task is never started: node-cron's own timer loop is not used.

interface Matcher { getNextMatch(date: Date): Date }

export class CronMatcher {
  private readonly task: ScheduledTask;
  private readonly matcher: Matcher;

  constructor(readonly expression: string, readonly timezone = 'UTC') {
    this.task = createTask(expression, () => {}, { timezone });
    const matcher = (this.task as unknown as { timeMatcher?: Partial<Matcher> }).timeMatcher;
    if (typeof matcher?.getNextMatch !== 'function') {
      throw new Error('node-cron no longer exposes timeMatcher.getNextMatch: pin node-cron 4.x');
    }
    this.matcher = matcher as Matcher;
  }

  /** The first fire time strictly after `after` (second resolution). */
  next(after: Date): Date {
    return this.matcher.getNextMatch(after);
  }

  /** Releases the task from node-cron's registry. */
  dispose(): void {
    void this.task.destroy();
  }
}
