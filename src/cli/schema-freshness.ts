/**
 * The editor schemas list the value set ids that existed when `backpain-cds schemas` last ran. A
 * value set added since is accepted by the service but underlined by the editor (and one removed
 * is offered but refused), so `validate` says when the list is behind, and how to bring it up to date.
 */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Problem } from '../knowledge/problems.js';
import { positionOfPath } from '../knowledge/positions.js';
import { VALUE_SET_ID_DEFINITION } from './schema-enums.js';

const SCHEMA_FILE = 'findings.schema.json';

function listedValueSets(schemaFile: string): string[] | undefined {
  if (!existsSync(schemaFile)) return undefined;
  try {
    const json = JSON.parse(readFileSync(schemaFile, 'utf8')) as { definitions?: Record<string, { enum?: unknown }> };
    const list = json.definitions?.[VALUE_SET_ID_DEFINITION]?.enum;
    return Array.isArray(list) ? list.filter((id): id is string => typeof id === 'string') : undefined;
  } catch {
    return undefined; // not this check's business: the schema files are generated, never edited
  }
}

function placed(file: string, shown: string, path: string, message: string): Problem {
  const text = existsSync(file) ? readFileSync(file, 'utf8') : undefined;
  const at = text !== undefined ? positionOfPath(text, path) : undefined;
  return { file: shown, path, message, ...(at ?? {}) };
}

/**
 * Value sets the service loaded that the editor schema does not offer, and ids it offers that no
 * longer exist. schemasDir is the folder the knowledge files' "$schema" points at.
 */
export function valueSetSchemaGaps(
  schemasDir: string,
  valueSetsDir: string,
  loaded: readonly string[],
  show: (file: string) => string,
): Problem[] {
  const schemaFile = join(schemasDir, SCHEMA_FILE);
  const listed = listedValueSets(schemaFile);
  if (!listed) return [];
  const run = 'run `npx backpain-cds schemas` to make the editor schemas again';
  const missing = loaded
    .filter((id) => !listed.includes(id))
    .map((id) => {
      const file = join(valueSetsDir, `${id}.json`);
      return placed(
        file,
        show(file),
        'id',
        `value set "${id}" is not in the editor schemas' list (${show(schemaFile)}), ` +
          `so your editor underlines it where rules/findings.json or rules/instruments.json names it: ${run}`,
      );
    });
  const gone = listed.flatMap((id, i) =>
    loaded.includes(id)
      ? []
      : [
          placed(
            schemaFile,
            show(schemaFile),
            `definitions.${VALUE_SET_ID_DEFINITION}.enum[${i}]`,
            `lists value set "${id}", which rules/valuesets/ does not have, so your editor accepts a name the service refuses: ${run}`,
          ),
        ],
  );
  return [...missing, ...gone];
}
