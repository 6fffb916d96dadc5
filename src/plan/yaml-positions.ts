import { isAlias, isMap, isScalar, isSeq, type Document, type LineCounter, type Node } from 'yaml';
import type { PathSegment } from './diagnostics.js';

export interface Position {
  line: number;
  column: number;
}

/**
 * Where a data path sits in the YAML source. A path ending in a map key points at the key
 * (that is where the eye looks for it); a path that does not exist (a missing key) points at
 * the deepest node that does.
 */
export function positionOf(doc: Document, lineCounter: LineCounter, path: readonly PathSegment[]): Position {
  let node: unknown = doc.contents;
  let anchor: Node | null = isNode(node) ? node : null;
  for (const seg of path) {
    if (isAlias(node)) node = node.resolve(doc);
    if (isMap(node) && typeof seg === 'string') {
      const pair = node.items.find((p) => isScalar(p.key) && String(p.key.value) === seg);
      if (!pair) break;
      node = pair.value;
      anchor = isNode(pair.key) ? pair.key : anchor;
    } else if (isSeq(node) && typeof seg === 'number' && seg < node.items.length) {
      node = node.items[seg];
      if (isNode(node)) anchor = node;
    } else {
      break;
    }
  }
  const offset = anchor?.range?.[0] ?? 0;
  const { line, col } = lineCounter.linePos(offset);
  return { line, column: col };
}

function isNode(value: unknown): value is Node {
  return typeof value === 'object' && value !== null && 'range' in value;
}
