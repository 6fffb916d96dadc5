import type { RseInfo, RseProtocol } from './types.js';

export type ProtocolOperation = 'read' | 'write' | 'delete' | 'third_party_copy_read' | 'third_party_copy_write';

/** No protocol of the RSE supports the operation with the allowed schemes. */
export class NoProtocolError extends Error {
  override readonly name = 'NoProtocolError';
  constructor(readonly rse: string, readonly operation: ProtocolOperation, readonly schemes: readonly string[]) {
    super(`RSE ${rse} offers no suitable protocol for ${operation} (domain wan, scheme ${schemes.join('|')})`);
  }
}

/**
 * The protocol `rucio upload`/`download` would use: in the wan domain, among the
 * allowed schemes, the lowest non-null priority (0 is highest since Rucio 39).
 */
export function selectProtocol(rse: RseInfo, operation: ProtocolOperation, schemes: readonly string[]): RseProtocol {
  const candidates = rse.protocols
    .filter((p) => schemes.includes(p.scheme))
    .map((p) => ({ p, priority: p.domains?.wan?.[operation] }))
    .filter((c): c is { p: RseProtocol; priority: number } => typeof c.priority === 'number')
    .sort((a, b) => a.priority - b.priority);
  const best = candidates[0];
  if (!best) throw new NoProtocolError(rse.rse, operation, schemes);
  return best.p;
}
