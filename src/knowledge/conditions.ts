/**
 * The one walk over a json-rules-engine condition tree ({"all": [...]}, {"any": [...]},
 * {"not": {...}} or a leaf). It takes `unknown`, because the loader walks files before zod has
 * accepted them and the explain trace walks the engine's annotated copy; a JSON path comes with
 * each leaf so a problem can point at its line.
 */
import type { ConditionNode } from './schemas.js';

interface Branches {
  all?: unknown;
  any?: unknown;
  not?: unknown;
}

export interface LeafAt<L> {
  leaf: L;
  /** JSON path of the leaf, starting from the path given for the root. */
  path: string;
}

/** Every leaf (an object that is not all/any/not), depth first, in the order written. */
export function conditionLeaves<L = Record<string, unknown>>(node: unknown, path = ''): LeafAt<L>[] {
  if (node === null || typeof node !== 'object') return [];
  const n = node as Branches;
  if (Array.isArray(n.all)) return n.all.flatMap((c, i) => conditionLeaves<L>(c, `${path}.all[${i}]`));
  if (Array.isArray(n.any)) return n.any.flatMap((c, i) => conditionLeaves<L>(c, `${path}.any[${i}]`));
  if (n.not !== undefined) return conditionLeaves<L>(n.not, `${path}.not`);
  return [{ leaf: node as L, path }];
}

/** The same tree with each leaf replaced. */
export function mapConditionLeaves(
  node: ConditionNode,
  map: (leaf: Extract<ConditionNode, { fact: string }>) => ConditionNode,
): ConditionNode {
  if ('all' in node) return { all: node.all.map((c) => mapConditionLeaves(c, map)) };
  if ('any' in node) return { any: node.any.map((c) => mapConditionLeaves(c, map)) };
  if ('not' in node) return { not: mapConditionLeaves(node.not, map) };
  return map(node);
}

/** The facts a condition tree reads, each once, in the order written. */
export function factsOf(node: unknown): string[] {
  const facts = conditionLeaves<{ fact?: unknown }>(node).map(({ leaf }) => leaf.fact);
  return [...new Set(facts.filter((f): f is string => typeof f === 'string'))];
}
