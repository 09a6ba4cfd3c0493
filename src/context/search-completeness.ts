/**
 * Whether a searchset Bundle holds the whole answer. A server says it could not give everything in
 * the Bundle itself: an OperationOutcome entry (`search.mode = outcome`) of severity error or fatal,
 * or one whose issue code says results are missing, or a `total` larger than the matches it holds
 * once every page is read. Read as complete, such a Bundle could hide a red flag behind "none found".
 */
import type { FhirResource, OperationOutcome } from 'fhir/r4.js';

/** Issue codes that say part of the answer is missing, whatever the severity (a warning is common). */
const MISSING_RESULTS = new Set(['incomplete', 'suppressed', 'too-costly', 'throttled', 'timeout']);

function missingResults(outcome: OperationOutcome): boolean {
  return (Array.isArray(outcome.issue) ? outcome.issue : []).some(
    (i) => i?.severity === 'error' || i?.severity === 'fatal' || (typeof i?.code === 'string' && MISSING_RESULTS.has(i.code)),
  );
}

/**
 * Why a search answer is incomplete, in words that carry no patient data; undefined when it is whole
 * (or is no Bundle). "No results" outcomes (information or warning, e.g. `not-found`) are whole answers.
 */
export function incompleteSearch(bundle: FhirResource | null): string | undefined {
  if (bundle?.resourceType !== 'Bundle') return undefined;
  const entries = Array.isArray(bundle.entry) ? bundle.entry : [];
  let matches = 0;
  for (const e of entries) {
    const r = e?.resource;
    if (r?.resourceType === 'OperationOutcome') {
      if (missingResults(r)) return 'it holds an OperationOutcome saying results are missing';
      continue;
    }
    if (r && (e.search?.mode ?? 'match') === 'match') matches++;
  }
  if (typeof bundle.total === 'number' && bundle.total > matches) {
    return `its total is ${bundle.total} but it holds ${matches} ${matches === 1 ? 'match' : 'matches'}`;
  }
  return undefined;
}
