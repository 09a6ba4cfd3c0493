/**
 * Value set files from what terminology services publish: a FHIR ValueSet (or a Bundle of them) as
 * VSAC, the NHS terminology server or an eCQM content package exports it, and a $expand answer.
 * Systems are written in their canonical form; codings in systems the service does not know are
 * reported and dropped, never written. Pure: the clock and the file name come from the caller.
 */
import type { Bundle, ValueSet as FhirValueSet, ValueSetComposeInclude, ValueSetExpansionContains } from 'fhir/r4.js';
import { canonicalSystem, isIcd10 } from './code-systems.js';
import { machineName, VALUE_SET_URL_PREFIX } from './fhir-artifacts.js';
import { FILTER_OPS, ValueSetFileSchema, type FilterOp, type ValueSetConceptSet, type ValueSetFile } from './schemas.js';
import { normaliseCode } from './valuesets.js';

type Contains = NonNullable<ValueSetFile['expansion']['contains']>[number];

const isFilterOp = (op: string): op is FilterOp => (FILTER_OPS as readonly string[]).includes(op);

/** The ValueSets in a file: one resource, or the ValueSet entries of a Bundle. */
export function valueSetsIn(json: unknown): FhirValueSet[] {
  if (json === null || typeof json !== 'object') return [];
  const r = json as { resourceType?: unknown };
  if (r.resourceType === 'ValueSet') return [json as FhirValueSet];
  if (r.resourceType === 'Bundle')
    return ((json as Bundle).entry ?? []).flatMap((e) => (e.resource?.resourceType === 'ValueSet' ? [e.resource] : []));
  return [];
}

/** "BloodGlucoseLaboratoryAndPointOfCareTests" or "Blood Glucose Tests" → "blood-glucose-laboratory-and-point-of-care-tests". */
export function slugOf(name: string): string {
  return name
    .replace(/([a-z0-9])([A-Z])/g, '$1-$2')
    .replace(/([A-Z]+)([A-Z][a-z])/g, '$1-$2')
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, '-')
    .replace(/^-+|-+$/g, '');
}

const keyOf = (system: string, code: string): string => `${system}|${normaliseCode(system, code)}`;

/**
 * Every coded entry of an expansion, depth first: `contains` may nest (the FHIR example groups
 * codes under abstract headings without a code). Systems canonical, duplicates once.
 */
export function flattenContains(
  contains: readonly ValueSetExpansionContains[] | undefined,
  unknown: (system: string, code: string) => void,
): Contains[] {
  const out: Contains[] = [];
  const seen = new Set<string>();
  const walk = (list: readonly ValueSetExpansionContains[]): void => {
    for (const c of list) {
      if (c.system && c.code) {
        const system = canonicalSystem(c.system);
        if (!system) unknown(c.system, c.code);
        else if (!seen.has(keyOf(system, c.code))) {
          seen.add(keyOf(system, c.code));
          out.push({ system, code: c.code, ...(c.display ? { display: c.display } : {}), ...(c.inactive ? { inactive: true } : {}) });
        }
      }
      if (c.contains) walk(c.contains);
    }
  };
  walk(contains ?? []);
  return out;
}

/** A compose include or exclude in our form: canonical system, known filter operators, concepts once. */
function conceptSets(
  sets: readonly ValueSetComposeInclude[] | undefined,
  where: string,
  report: (message: string) => void,
): ValueSetConceptSet[] {
  const out: ValueSetConceptSet[] = [];
  (sets ?? []).forEach((set, i) => {
    const at = `${where}[${i}]`;
    if (set.valueSet?.length)
      report(`${at} refers to other value sets (${set.valueSet.join(', ')}): their codes are taken from the expansion only`);
    if (!set.system) return;
    const system = canonicalSystem(set.system);
    if (!system) {
      report(`${at}: dropped, ${set.system} is not a code system the service knows`);
      return;
    }
    const seen = new Set<string>();
    const concept = (set.concept ?? []).flatMap((c) => {
      if (seen.has(keyOf(system, c.code))) return [];
      seen.add(keyOf(system, c.code));
      return [{ code: c.code, ...(c.display ? { display: c.display } : {}) }];
    });
    const filter = (set.filter ?? []).flatMap((f) => {
      const op = f.op;
      if (isFilterOp(op) && f.property && f.value) return [{ property: f.property, op, value: f.value }];
      report(`${at}: dropped the filter ${JSON.stringify(f)}, which is not an R4 filter`);
      return [];
    });
    if (!concept.length && !filter.length) {
      report(`${at}: dropped, it names every code of ${system} (no concept or filter)`);
      return;
    }
    out.push({
      system,
      ...(set.version ? { version: set.version } : {}),
      ...(concept.length ? { concept } : {}),
      ...(filter.length ? { filter } : {}),
    });
  });
  return out;
}

/** Explicit compose concepts, for a source without an expansion (an extensional value set is its own expansion). */
function expansionFromCompose(include: readonly ValueSetConceptSet[], exclude: readonly ValueSetConceptSet[]): Contains[] {
  const excluded = new Set(exclude.flatMap((s) => (s.concept ?? []).map((c) => keyOf(s.system, c.code))));
  const seen = new Set<string>();
  return include.flatMap((s) =>
    (s.concept ?? []).flatMap((c) => {
      const key = keyOf(s.system, c.code);
      if (excluded.has(key) || seen.has(key)) return [];
      seen.add(key);
      return [{ system: s.system, code: c.code, ...(c.display ? { display: c.display } : {}) }];
    }),
  );
}

/** Explicit concepts by system, for a source with an expansion but no compose (a VSAC $expand answer). */
function composeFromExpansion(contains: readonly Contains[]): ValueSetConceptSet[] {
  const bySystem = new Map<string, ValueSetConceptSet>();
  for (const c of contains) {
    let set = bySystem.get(c.system);
    if (!set) bySystem.set(c.system, (set = { system: c.system, concept: [] }));
    set.concept?.push({ code: c.code, ...(c.display ? { display: c.display } : {}) });
  }
  return [...bySystem.values()];
}

type ExpansionParameter = NonNullable<ValueSetFile['expansion']['parameter']>[number];
const PARAMETER_VALUES = ['valueString', 'valueUri', 'valueCode', 'valueBoolean', 'valueInteger', 'valueDecimal', 'valueDateTime'] as const;

/**
 * The server's expansion parameters (code system versions) worth keeping; paging parameters
 * (offset, count) describe one page, not the expansion, and are left out.
 */
function parameters(list: NonNullable<FhirValueSet['expansion']>['parameter']): { parameter?: ExpansionParameter[] } {
  const kept = (list ?? []).flatMap((p): ExpansionParameter[] => {
    if (p.name === 'offset' || p.name === 'count') return [];
    const out: ExpansionParameter = { name: p.name };
    for (const key of PARAMETER_VALUES) if (p[key] !== undefined) Object.assign(out, { [key]: p[key] });
    return Object.keys(out).length > 1 ? [out] : [];
  });
  return kept.length ? { parameter: kept } : {};
}

/** The file's keys in the order an informatician reads them. */
const FILE_KEY_ORDER = [
  '$schema',
  'resourceType',
  'id',
  'url',
  'identifier',
  'version',
  'name',
  'title',
  'status',
  'experimental',
  'date',
  'publisher',
  'description',
  'purpose',
  'copyright',
  'compose',
  'expansion',
  'extension',
] as const satisfies readonly (keyof ValueSetFile)[];

/** The file with its keys in FILE_KEY_ORDER, absent ones left out. */
export function orderedFile(file: ValueSetFile): ValueSetFile {
  return Object.fromEntries(FILE_KEY_ORDER.filter((key) => file[key] !== undefined).map((key) => [key, file[key]])) as ValueSetFile;
}

export function fileText(file: ValueSetFile): string {
  return `${JSON.stringify(orderedFile(file), null, 2)}\n`;
}

export interface Imported {
  file: ValueSetFile;
  /** What was dropped or left to the expansion, one sentence each. */
  notes: string[];
}

export interface ImportContext {
  /** Our id; when absent, a slug of the source's name or title. */
  id?: string;
  /** The file it came from, as the user named it, for the description. */
  sourceFile: string;
  now: Date;
  uuid: () => string;
}

/** One source ValueSet as our file, or the reason it cannot be one. */
export function importValueSet(source: FhirValueSet, ctx: ImportContext): Imported {
  const notes: string[] = [];
  const report = (m: string): void => void notes.push(m);
  const id = ctx.id ?? slugOf(source.name ?? source.title ?? '');
  if (!/^[a-z0-9]+(-[a-z0-9]+)*$/.test(id))
    throw new Error(`cannot make an id from ${JSON.stringify(source.name ?? source.title ?? source.id)}: give one with --id`);
  const include = conceptSets(source.compose?.include, 'compose.include', report);
  const exclude = conceptSets(source.compose?.exclude, 'compose.exclude', report);
  let dropped = 0;
  const unknownSystems = new Set<string>();
  const listed = flattenContains(source.expansion?.contains, (system) => {
    dropped++;
    unknownSystems.add(system);
  });
  if (dropped)
    report(
      `expansion: dropped ${dropped} coding${dropped > 1 ? 's' : ''} in ${[...unknownSystems].join(', ')}, ` +
        `not a code system the service knows`,
    );
  const hasExpansion = source.expansion !== undefined;
  const contains = hasExpansion ? listed : expansionFromCompose(include, exclude);
  if (!hasExpansion) {
    for (const set of include) {
      for (const f of set.filter ?? []) {
        if (!isIcd10(set.system))
          report(
            `${set.system} filter ${f.op} ${f.value} has no expansion in the source: its members will not match ` +
              `until \`backpain-cds valueset expand ${id}\` lists them`,
          );
      }
    }
  }
  const timestamp = source.expansion?.timestamp ?? ctx.now.toISOString();
  // The publisher's identifiers (VSAC's OID) say which published value set this is.
  const identifiers = (source.identifier ?? []).flatMap((i) =>
    i.value ? [{ ...(i.system ? { system: i.system } : {}), value: i.value }] : [],
  );
  const origin = [source.url, source.version ? `version ${source.version}` : undefined, source.publisher].filter(Boolean).join(', ');
  const file: ValueSetFile = {
    $schema: '../schemas/valueset.schema.json',
    resourceType: 'ValueSet',
    id,
    url: `${VALUE_SET_URL_PREFIX}${id}`,
    ...(identifiers.length ? { identifier: identifiers } : {}),
    version: timestamp.slice(0, 10),
    name: machineName(id),
    title: source.title ?? source.name ?? id,
    status: source.status === 'draft' || source.status === 'retired' || source.status === 'unknown' ? source.status : 'active',
    description:
      `${(source.description ?? source.title ?? source.name ?? id).trim().replace(/\.?$/, '.')} Source: ` +
      `imported from ${ctx.sourceFile}${origin ? ` (ValueSet ${origin})` : ''} on ` +
      `${ctx.now.toISOString().slice(0, 10)}.`,
    ...(source.purpose ? { purpose: source.purpose } : {}),
    ...(source.copyright ? { copyright: source.copyright } : {}),
    compose: { include: include.length ? include : composeFromExpansion(contains), ...(exclude.length ? { exclude } : {}) },
    expansion: {
      identifier: source.expansion?.identifier ?? `urn:uuid:${ctx.uuid()}`,
      timestamp,
      total: contains.length,
      ...parameters(source.expansion?.parameter),
      ...(contains.length ? { contains } : {}),
    },
  };
  if (!file.compose.include.length) throw new Error(`${source.url ?? source.id ?? id} has no codes in a code system the service knows`);
  const parsed = ValueSetFileSchema.safeParse(file);
  if (!parsed.success)
    throw new Error(
      `the result is not a valid value set file: ${parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ')}`,
    );
  return { file: parsed.data, notes };
}

export interface ExpansionChange {
  file: ValueSetFile;
  added: number;
  removed: number;
  total: number;
}

/**
 * The file with a terminology server's expansion in force: compose and everything else kept,
 * expansion, version and timestamp replaced. Refuses an expansion with a system the service does
 * not know (the file would not load).
 */
export function withExpansion(
  file: ValueSetFile,
  expansion: NonNullable<FhirValueSet['expansion']>,
  contains: readonly ValueSetExpansionContains[],
  ctx: { now: Date; uuid: () => string },
): ExpansionChange {
  const unknown = new Map<string, number>();
  const next = flattenContains(contains, (system) => void unknown.set(system, (unknown.get(system) ?? 0) + 1));
  if (unknown.size) {
    throw new Error(
      `the terminology server answered with codes in systems the service does not know (` +
        `${[...unknown].map(([s, n]) => `${s}: ${n}`).join(', ')}); the file is left as it was`,
    );
  }
  const before = new Set((file.expansion.contains ?? []).map((c) => keyOf(canonicalSystem(c.system) ?? c.system, c.code)));
  const after = new Set(next.map((c) => keyOf(c.system, c.code)));
  const timestamp = expansion.timestamp || ctx.now.toISOString();
  return {
    file: orderedFile({
      ...file,
      version: timestamp.slice(0, 10),
      expansion: {
        identifier: expansion.identifier ?? `urn:uuid:${ctx.uuid()}`,
        timestamp,
        total: next.length,
        ...parameters(expansion.parameter),
        ...(next.length ? { contains: next } : {}),
      },
    }),
    added: [...after].filter((k) => !before.has(k)).length,
    removed: [...before].filter((k) => !after.has(k)).length,
    total: next.length,
  };
}
