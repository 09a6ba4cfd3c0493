/**
 * One regular expression written as several literals, so a long expected message stays under the
 * 140-column limit and keeps its literal escaping. The parts' sources are joined in order and the
 * flags are the union of the parts' flags.
 */
export function regExp(...parts: RegExp[]): RegExp {
  const flags = new Set(parts.flatMap((p) => [...p.flags]));
  return new RegExp(parts.map((p) => p.source).join(''), [...flags].join(''));
}
