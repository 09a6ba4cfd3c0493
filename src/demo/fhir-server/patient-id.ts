/**
 * The patient a reference names, in every form real servers write it (relative, versioned,
 * absolute): the one resolver the facts use. No Medplum import on this path: the CLI builds
 * scenario prefetch with it, and Medplum's core needs a global WebSocket that Node 20 lacks
 * without a flag.
 */
export { referencedPatientId as patientIdOf } from '../../facts/references.js';
