/**
 * The CDS Hooks response `extension` member that carries the explain trace. CDS Hooks reserves
 * `extension` for such additions and asks for globally unique member names.
 */
export const EXPLAIN_EXTENSION = 'urn:backpain-cds:explain';
