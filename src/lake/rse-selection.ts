// An RSE expression resolved with what a coordinator must fix called out: an expression
// that matches no RSE, or a QoS expression (QOS=FAST...) that matches an RSE whose QOS
// attribute is missing or null. At DAC21 an RSE whose QoS was set to null fell out of
// QOS=… expressions and the rules quietly went to the rest; an RSE that a complement or
// union brings in without a class is the same mistake seen from the other side.
import { RseSelectionError, RucioApiError } from './errors.js';
import type { RucioClient } from './rucio/index.js';

const QOS_TERM = /\bQOS\s*=/i;
/** Attribute values that say "no class": Rucio keeps a null, admins sometimes write these. */
const NO_CLASS = new Set(['', 'none', 'null']);

/** The RSE's QoS class, or null when its QOS attribute is missing or null (or says "none"). */
export function qosClassOf(attributes: Record<string, unknown>): string | null {
  const value = attributes.QOS;
  if (value === undefined || value === null || NO_CLASS.has(String(value).trim().toLowerCase())) return null;
  return String(value);
}

export function asksForQos(expression: string): boolean {
  return QOS_TERM.test(expression);
}

/** The RSEs of an expression, sorted; throws RseSelectionError for an empty set or an RSE without a QoS class. */
export async function resolveRseExpression(rucio: Pick<RucioClient, 'listRses' | 'listRseAttributes'>, expression: string): Promise<string[]> {
  let rses: string[];
  try {
    rses = await rucio.listRses(expression);
  } catch (e) {
    if (e instanceof RucioApiError && e.exceptionClass === 'InvalidRSEExpression' && /empty set/i.test(e.exceptionMessage)) {
      throw new RseSelectionError(`RSE expression "${expression}" resolves to no RSE`, { cause: e });
    }
    throw e;
  }
  if (rses.length === 0) throw new RseSelectionError(`RSE expression "${expression}" resolves to no RSE`);
  if (!asksForQos(expression)) return [...rses].sort();
  const classless: string[] = [];
  for (const rse of rses) {
    if (qosClassOf(await rucio.listRseAttributes(rse)) === null) classless.push(rse);
  }
  if (classless.length) {
    throw new RseSelectionError(
      `RSE expression "${expression}" asks for a QoS class but resolves to ${classless.join(', ')} whose QOS attribute is missing or null`,
    );
  }
  return [...rses].sort();
}
