export { createFhirApp, type FhirApp } from './app.js';
export { ensureFhirDefinitions } from './definitions.js';
export {
  BundleLoadError,
  loadBundles,
  readSyntheaArchive,
  shiftDates,
  toBatchBundle,
  type LoadFailure,
  type LoadOptions,
  type LoadSummary,
  type LoadTarget,
  type SyntheaArchiveOptions,
} from './load.js';
export { patientIdOf } from './patient-id.js';
export { PatientReferenceRepository } from './patient-references.js';
export { decorateSearchBundle, type SearchContext } from './search-bundle.js';
export { startFhirServer, type FhirServerOptions, type RunningFhirServer } from './server.js';
