/** A private copy of rules/ and cards/ in a temporary folder, for tests that edit the files. */
import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { cardsDir, rulesDir } from '../../src/paths.js';

export interface KnowledgeCopy {
  root: string;
  rulesDir: string;
  cardsDir: string;
  /** Path of a file in the copy, e.g. "cards/imaging-defer.json". */
  path(relative: string): string;
  readJson<T = Record<string, unknown>>(relative: string): T;
  readText(relative: string): string;
  /** Rewrites a JSON file through a function. */
  editJson<T = Record<string, unknown>>(relative: string, change: (json: T) => void): void;
  write(relative: string, text: string): void;
  remove(): void;
}

export function copyKnowledge(): KnowledgeCopy {
  const root = mkdtempSync(join(tmpdir(), 'backpain-knowledge-'));
  cpSync(rulesDir, join(root, 'rules'), { recursive: true });
  cpSync(cardsDir, join(root, 'cards'), { recursive: true });
  const path = (relative: string): string => join(root, relative);
  const readJson = <T>(relative: string): T => JSON.parse(readFileSync(path(relative), 'utf8')) as T;
  return {
    root,
    rulesDir: path('rules'),
    cardsDir: path('cards'),
    path,
    readJson,
    readText: (relative) => readFileSync(path(relative), 'utf8'),
    editJson<T>(relative: string, change: (json: T) => void) {
      const json = readJson<T>(relative);
      change(json);
      writeFileSync(path(relative), `${JSON.stringify(json, null, 2)}\n`);
    },
    write: (relative, text) => writeFileSync(path(relative), text),
    remove: () => rmSync(root, { recursive: true, force: true }),
  };
}
