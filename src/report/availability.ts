// Availability as Grafana Synthetic Monitoring defines uptime: the share of time slots in which
// at least one check succeeded. Here a slot counts when the RSE or test was exercised in it;
// logins and listings do not make anything "up", nor catalogue calls an RSE.
import type { OpResult } from '../engine/op-result.js';
import { groupBy } from './model.js';
import type { AgentAvailability, Availability, DailyCell, TimeBucket } from './schema.js';

const SLOT_CHOICES = [60, 300, 900, 3600, 6 * 3600, 86400, 7 * 86400];
/** A report has at most about this many slots, whatever the window. */
export const MAX_SLOTS = 200;

/** The smallest slot length (of 1 min, 5 min, 15 min, 1 h, 6 h, 1 d, 1 w) that cuts the window into ≤ MAX_SLOTS. */
export function slotSecondsFor(fromMs: number, toMs: number): number {
  const span = Math.max(0, toMs - fromMs) / 1000;
  return SLOT_CHOICES.find((s) => span / s <= MAX_SLOTS) ?? (SLOT_CHOICES[SLOT_CHOICES.length - 1] as number);
}

const slotOf = (r: OpResult, slotSeconds: number): number => Math.floor(Date.parse(r.start) / 1000 / slotSeconds);
const counts = (r: OpResult): boolean => r.operation !== 'auth' && r.operation !== 'list';

function availabilityBy(results: OpResult[], slotSeconds: number, keys: (r: OpResult) => string[]): Availability[] {
  const slots = new Map<string, Map<number, boolean>>();
  for (const r of results.filter(counts)) {
    for (const key of keys(r)) {
      const mine = slots.get(key) ?? new Map<number, boolean>();
      const slot = slotOf(r, slotSeconds);
      mine.set(slot, (mine.get(slot) ?? false) || r.outcome === 'ok');
      slots.set(key, mine);
    }
  }
  return [...slots.entries()].map(([key, s]) => {
    const up = [...s.values()].filter(Boolean).length;
    return { key, slots: s.size, upSlots: up, availability: s.size ? up / s.size : 0 };
  }).sort((a, b) => a.key.localeCompare(b.key));
}

/**
 * The RSE whose storage an operation exercised: the one it acted on (a replication: its destination);
 * catalogue calls naming the RSE (rules, registrations: protocol "rucio") say nothing of its storage.
 */
const storageRse = (r: OpResult): string => (r.protocol !== 'rucio' ? r.rse : '');

export function availabilityByRse(results: OpResult[], slotSeconds: number): Availability[] {
  return availabilityBy(results, slotSeconds, (r) => (storageRse(r) ? [r.rse] : []));
}

const AGENT_RSE = '\u0000';

/**
 * Per agent and RSE (the RSE as reached from that agent's site), and per agent over all its RSEs
 * (`rse` ""): over the results that name an agent, so empty when none does.
 */
export function availabilityByAgent(results: OpResult[], slotSeconds: number): AgentAvailability[] {
  const keys = (r: OpResult): string[] => (r.agent && storageRse(r) ? [r.agent, `${r.agent}${AGENT_RSE}${r.rse}`] : []);
  return availabilityBy(results, slotSeconds, keys).map(({ key, ...a }) => {
    const [agent = '', rse = ''] = key.split(AGENT_RSE);
    return { agent, rse, ...a };
  }).sort((a, b) => a.agent.localeCompare(b.agent) || (a.rse === '' ? -1 : b.rse === '' ? 1 : a.rse.localeCompare(b.rse)));
}

export function availabilityByTest(results: OpResult[], slotSeconds: number): Availability[] {
  return availabilityBy(results, slotSeconds, (r) => [r.test]);
}

/** Success share per time slot, over every operation; empty slots are left out. */
export function successOverTime(results: OpResult[], slotSeconds: number): TimeBucket[] {
  return [...groupBy(results, (r) => String(slotOf(r, slotSeconds))).entries()]
    .map(([slot, rs]) => {
      const ok = rs.filter((r) => r.outcome === 'ok').length;
      return { start: new Date(Number(slot) * slotSeconds * 1000).toISOString(), attempts: rs.length, successes: ok, successRate: ok / rs.length };
    })
    .sort((a, b) => a.start.localeCompare(b.start));
}

/** Storage operations per RSE and UTC day (logins, listings and catalogue calls aside). */
export function dailyByRse(results: OpResult[]): DailyCell[] {
  const storage = results.filter((r) => counts(r) && r.rse && r.protocol !== 'rucio');
  return [...groupBy(storage, (r) => `${r.start.slice(0, 10)}\u0000${r.rse}`).values()].map((rs) => {
    const ok = rs.filter((r) => r.outcome === 'ok').length;
    return { day: rs[0]!.start.slice(0, 10), rse: rs[0]!.rse, attempts: rs.length, successes: ok, successRate: ok / rs.length };
  }).sort((a, b) => a.day.localeCompare(b.day) || a.rse.localeCompare(b.rse));
}
