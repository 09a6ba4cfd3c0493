/**
 * Reads a FHIR Bulk Data export (NDJSON: one resource per line) line by line, so an export of any
 * size streams through in constant memory. Gzipped files (`.ndjson.gz`) are read too.
 */
import { createReadStream, existsSync, readdirSync, statSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { createInterface } from 'node:readline';
import type { Readable } from 'node:stream';
import { createGunzip } from 'node:zlib';
import { CliError } from '../io.js';

const NDJSON = /\.ndjson(\.gz)?$/i;

/** The NDJSON files named: files as given, folders by their *.ndjson and *.ndjson.gz files (sorted). */
export function ndjsonFiles(paths: readonly string[]): string[] {
  return paths.flatMap((p) => {
    const path = resolve(p);
    if (!existsSync(path)) throw new CliError(`${p}: no such file or folder`);
    if (!statSync(path).isDirectory()) return [path];
    const files = readdirSync(path)
      .filter((f) => NDJSON.test(f))
      .sort()
      .map((f) => join(path, f));
    if (!files.length)
      throw new CliError(
        `${p}: no *.ndjson files in this folder (a FHIR Bulk Data export writes one per resource type, e.g. Condition.ndjson)`,
      );
    return files;
  });
}

export interface LineProblem {
  file: string;
  line: number;
}

/**
 * Calls `onResource` for each line's JSON and returns the lines that were not JSON objects (file
 * and line number only: the line itself may hold patient data).
 */
export async function readNdjson(
  file: string,
  onResource: (resource: unknown) => void,
): Promise<{ lines: number; problems: LineProblem[] }> {
  let input: Readable = createReadStream(file);
  if (file.toLowerCase().endsWith('.gz')) input = input.pipe(createGunzip());
  const lines = createInterface({ input, crlfDelay: Number.POSITIVE_INFINITY });
  let n = 0;
  const problems: LineProblem[] = [];
  try {
    for await (const line of lines) {
      n++;
      if (line.trim() === '') continue;
      let value: unknown;
      try {
        value = JSON.parse(line);
      } catch {
        problems.push({ file, line: n });
        continue;
      }
      if (value === null || typeof value !== 'object' || Array.isArray(value)) problems.push({ file, line: n });
      else onResource(value);
    }
  } catch (err) {
    throw new CliError(`${file}: cannot be read: ${(err as Error).message}`);
  }
  return { lines: n, problems };
}
