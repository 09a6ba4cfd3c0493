import { canonicalSystem, isIcd10 } from './code-systems.js';
import { VALUE_SET_URL_PREFIX } from './fhir-artifacts.js';
import type { Problem } from './problems.js';
import type { ValueSetFile } from './schemas.js';
import { icdFamilies, normaliseCode } from './valuesets.js';

/**
 * What the schema cannot say about a value set: the same code twice (ICD-10 with and without the
 * dot), an explicit ICD-10 code its own is-a filter already matches, and ICD-10 filters the service
 * cannot read as code prefixes (they would silently match nothing).
 */
export function valueSetProblems(file: string, vs: ValueSetFile): Problem[] {
  const problems: Problem[] = [];
  const keyOf = (system: string, code: string): string => {
    const canonical = canonicalSystem(system) ?? system;
    return `${canonical}|${normaliseCode(canonical, code)}`;
  };
  const families = vs.compose.include.flatMap((set, i) => icdFamilies(set).map((f) => ({ ...f, i, system: canonicalSystem(set.system) })));
  const seen = new Map<string, string>();
  vs.compose.include.forEach((set, i) => {
    const system = canonicalSystem(set.system) ?? set.system;
    (set.concept ?? []).forEach((c, j) => {
      const at = `compose.include[${i}].concept[${j}]`;
      const key = keyOf(system, c.code);
      const first = seen.get(key);
      if (first !== undefined) {
        problems.push({ file, path: at, message: `duplicate code ${set.system}|${c.code} (also ${first}): remove one of them` });
        return;
      }
      seen.set(key, at);
      const code = normaliseCode(system, c.code);
      const cover = families.find((f) => f.system === system && code.startsWith(f.prefix) && code !== f.prefix);
      if (cover)
        problems.push({
          file,
          path: at,
          message: `${c.code} is already matched by the is-a filter compose.include[${cover.i}] (${cover.value}): remove this entry`,
        });
    });
  });
  for (const [part, sets] of [
    ['include', vs.compose.include],
    ['exclude', vs.compose.exclude ?? []],
  ] as const) {
    sets.forEach((set, i) => {
      if (!isIcd10(canonicalSystem(set.system) ?? '')) return;
      (set.filter ?? []).forEach((f, j) => {
        if (f.property !== 'concept' || (f.op !== 'is-a' && f.op !== 'descendent-of')) {
          problems.push({
            file,
            path: `compose.${part}[${i}].filter[${j}]`,
            message:
              `ICD-10 filters are read as code prefixes, so only {"property": "concept", "op": "is-a" or ` +
              `"descendent-of"} is possible: rewrite it, or list the codes in "concept"`,
          });
        }
      });
    });
  }
  const listed = new Map<string, number>();
  (vs.expansion.contains ?? []).forEach((c, i) => {
    const key = keyOf(c.system, c.code);
    const first = listed.get(key);
    if (first !== undefined)
      problems.push({
        file,
        path: `expansion.contains[${i}]`,
        message: `duplicate code ${c.system}|${c.code} (also expansion.contains[${first}]): remove one of them`,
      });
    else listed.set(key, i);
  });
  if (vs.url !== `${VALUE_SET_URL_PREFIX}${vs.id}`)
    problems.push({ file, path: 'url', message: `must be "${VALUE_SET_URL_PREFIX}${vs.id}" (the id after the prefix)` });
  return problems;
}
