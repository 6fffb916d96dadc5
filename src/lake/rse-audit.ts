// What a coordinator must fix at an RSE before a challenge, read from the catalogue's own
// answers: the settings object (GET /rses/<rse>: availability flags, protocols with their
// per-operation priorities), the attributes (GET /rses/<rse>/attr/) and the distances
// (GET /rses/<src>/distances/<dst>). Each finding is a sentence naming the setting.
import type { RseAttributes, RseInfo, RseProtocol } from './rucio/index.js';
import { qosClassOf } from './rse-selection.js';

export const AUDIT_OPERATIONS = ['read', 'write', 'delete', 'third_party_copy_read', 'third_party_copy_write'] as const;
export type AuditOperation = (typeof AUDIT_OPERATIONS)[number];

const FLAGS = ['read', 'write', 'delete'] as const;

/** The WAN protocols offering each operation, best priority first, as `scheme:port (priority)`. */
export function protocolsByOperation(protocols: readonly RseProtocol[]): Record<AuditOperation, string[]> {
  const out = Object.fromEntries(AUDIT_OPERATIONS.map((op) => [op, [] as string[]])) as Record<AuditOperation, string[]>;
  for (const op of AUDIT_OPERATIONS) {
    const offering = protocols
      .map((p) => ({ p, priority: Number((p.domains?.wan as Record<string, unknown> | undefined)?.[op] ?? 0) }))
      .filter((x) => Number.isFinite(x.priority) && x.priority > 0)
      .sort((a, b) => a.priority - b.priority);
    out[op] = offering.map(({ p, priority }) => `${p.scheme}:${p.port} (${priority})`);
  }
  return out;
}

/** The availability flags that are off, e.g. "availability_write is false": Rucio places no rule and no upload there. */
export function disabledFlags(info: Pick<RseInfo, 'availability_read' | 'availability_write' | 'availability_delete'>): string[] {
  return FLAGS.filter((f) => info[`availability_${f}`] === false).map((f) => `availability_${f}`);
}

/** The operations asked for that no WAN protocol of the RSE offers. */
export function missingOperations(protocols: readonly RseProtocol[], wanted: readonly AuditOperation[]): AuditOperation[] {
  const by = protocolsByOperation(protocols);
  return wanted.filter((op) => by[op].length === 0);
}

/**
 * The QoS problem of an RSE the plan expects in a class: null when it has that class. A missing or null
 * QOS drops the RSE from every QOS=… expression (DAC21: rules quietly went to the rest).
 */
export function qosProblem(rse: string, attributes: RseAttributes, expected: string): string | null {
  const actual = qosClassOf(attributes);
  if (actual === null) {
    const raw = attributes.QOS;
    return `${rse}: QOS attribute is ${raw === undefined ? 'missing' : `${JSON.stringify(raw)} (null)`}, the plan expects QOS=${expected}: every QOS=${expected} expression leaves ${rse} out`;
  }
  if (actual !== expected) return `${rse}: QOS is ${actual}, the plan expects QOS=${expected}`;
  return null;
}

/** One line per RSE for the log: flags, attributes, protocols per operation. */
export function describeRse(info: RseInfo, attributes: RseAttributes): string {
  const flags = FLAGS.map((f) => `${f}=${info[`availability_${f}`] ? 'on' : 'off'}`).join(' ');
  const attrs = Object.entries(attributes).filter(([k]) => k !== info.rse).map(([k, v]) => `${k}=${v === null ? 'null' : String(v)}`).join(', ');
  const by = protocolsByOperation(info.protocols ?? []);
  const protos = AUDIT_OPERATIONS.map((op) => `${op}: ${by[op].join(', ') || 'none'}`).join('; ');
  return `${info.rse} (${info.deterministic ? 'deterministic' : 'non-deterministic'}): ${flags}; attributes ${attrs || 'none'}; ${protos}`;
}
