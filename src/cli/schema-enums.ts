/**
 * The names an editor should offer and check where the zod schemas only say "a string": value set
 * ids (read from rules/valuesets/ when `schemas` runs, so the list is the shipped one), the code
 * systems of src/knowledge/code-systems.ts and the CDS service ids. Each comes with a description
 * VS Code shows on hover and in completion.
 */
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { basename, join } from 'node:path';
import { SERVICES } from '../hooks/services.js';
import { knownSystemNames } from '../knowledge/code-systems.js';
import { CODE_SYSTEM_MARK, SERVICE_ID_MARK, VALUE_SET_ID_MARK } from '../knowledge/schemas.js';

type JsonObject = Record<string, unknown>;

export interface ValueSetEntry {
  id: string;
  title?: string;
  description?: string;
}

/** The value sets in a folder, by the id each file declares (the loader refuses a file whose id is not its name). */
export function valueSetEntries(dir: string): ValueSetEntry[] {
  if (!existsSync(dir)) return [];
  return readdirSync(dir)
    .filter((f) => f.endsWith('.json'))
    .sort()
    .flatMap((f): ValueSetEntry[] => {
      let json: { id?: unknown; title?: unknown; description?: unknown };
      try {
        json = JSON.parse(readFileSync(join(dir, f), 'utf8')) as typeof json;
      } catch {
        return []; // a broken file is not a set a file may name; `validate` reports it
      }
      const id = typeof json.id === 'string' ? json.id : basename(f, '.json');
      return [
        {
          id,
          ...(typeof json.title === 'string' ? { title: json.title } : {}),
          ...(typeof json.description === 'string' ? { description: json.description } : {}),
        },
      ];
    });
}

/** The first sentence of a long description: hover text, not the whole provenance. */
function firstSentence(text: string): string {
  const end = text.search(/\.(\s|$)/);
  return end < 0 ? text : text.slice(0, end + 1);
}

export const VALUE_SET_ID_DEFINITION = 'valueSetId';
export const CODE_SYSTEM_DEFINITION = 'codeSystem';

export function valueSetIdSchema(entries: readonly ValueSetEntry[]): JsonObject {
  return {
    type: 'string',
    enum: entries.map((e) => e.id),
    markdownEnumDescriptions: entries.map(
      (e) => `**${e.title ?? e.id}** (rules/valuesets/${e.id}.json)${e.description ? `: ${firstSentence(e.description)}` : ''}`,
    ),
    description:
      'The id of a value set in rules/valuesets/ (its file name without .json). ' +
      'This list is made from the value sets there when `npx backpain-cds schemas` runs: after adding a value set, run it again.',
  };
}

/** Case-insensitive without a regex flag, which JSON Schema patterns do not have. */
function anyCase(text: string): string {
  return [...text]
    .map((ch) => (/[a-z]/i.test(ch) ? `[${ch.toLowerCase()}${ch.toUpperCase()}]` : ch.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&')))
    .join('');
}

/**
 * Every spelling the service accepts: the canonical URIs and their urn:oid: forms offered by name,
 * and, as canonicalSystem() forgives them, the same with other letter case, surrounding spaces or
 * trailing slashes.
 */
export function codeSystemSchema(): JsonObject {
  const names = knownSystemNames();
  return {
    description: `A code system the service knows (src/knowledge/code-systems.ts): ${names
      .filter((n) => !n.alias)
      .map((n) => n.uri)
      .join(', ')}, or its urn:oid: form. Any other system is refused, so a typo cannot silently match nothing.`,
    anyOf: [
      {
        type: 'string',
        enum: names.map((n) => n.uri),
        markdownEnumDescriptions: names.map((n) => (n.alias ? `${n.title}: the OID form of ${n.alias}; read as ${n.alias}` : n.title)),
      },
      { type: 'string', pattern: `^\\s*(?:${names.map((n) => anyCase(n.uri)).join('|')})\\/*\\s*$` },
    ],
  };
}

function serviceIdSchema(): JsonObject {
  return {
    type: 'string',
    enum: SERVICES.map((s) => s.id),
    markdownEnumDescriptions: SERVICES.map((s) => `**${s.title}** (hook ${s.hook}): ${s.description}`),
  };
}

/** Replaces every node carrying a mark, at any depth. */
function replaceMarked(node: unknown, replace: (marked: JsonObject) => JsonObject | undefined): unknown {
  if (Array.isArray(node)) return node.map((n) => replaceMarked(n, replace));
  if (node === null || typeof node !== 'object') return node;
  const replaced = replace(node as JsonObject);
  if (replaced) return replaced;
  return Object.fromEntries(Object.entries(node).map(([k, v]) => [k, replaceMarked(v, replace)]));
}

/**
 * Puts the value set ids, code systems and service ids where the zod schemas marked them: the two
 * long lists once in "definitions", referenced from each place.
 */
export function withNameEnums(json: JsonObject, valueSets: readonly ValueSetEntry[]): JsonObject {
  const used = new Set<string>();
  const out = replaceMarked(json, (node) => {
    if (node[VALUE_SET_ID_MARK] && valueSets.length) {
      used.add(VALUE_SET_ID_DEFINITION);
      return { $ref: `#/definitions/${VALUE_SET_ID_DEFINITION}` };
    }
    if (node[CODE_SYSTEM_MARK]) {
      used.add(CODE_SYSTEM_DEFINITION);
      return { $ref: `#/definitions/${CODE_SYSTEM_DEFINITION}` };
    }
    if (node[SERVICE_ID_MARK])
      return { ...serviceIdSchema(), ...(typeof node.description === 'string' ? { description: node.description } : {}) };
    if (VALUE_SET_ID_MARK in node || CODE_SYSTEM_MARK in node) {
      const { [VALUE_SET_ID_MARK]: _v, [CODE_SYSTEM_MARK]: _c, ...rest } = node;
      return rest;
    }
    return undefined;
  }) as JsonObject;
  if (!used.size) return out;
  const definitions = { ...((out.definitions as JsonObject | undefined) ?? {}) };
  if (used.has(VALUE_SET_ID_DEFINITION)) definitions[VALUE_SET_ID_DEFINITION] = valueSetIdSchema(valueSets);
  if (used.has(CODE_SYSTEM_DEFINITION)) definitions[CODE_SYSTEM_DEFINITION] = codeSystemSchema();
  return { ...out, definitions };
}
