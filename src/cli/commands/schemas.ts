import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join, relative, resolve } from 'node:path';
import { generateSchemas, schemasDir } from '../json-schemas.js';
import { projectRoot } from '../../paths.js';
import type { CliIo } from '../io.js';

export interface SchemasOptions {
  check?: boolean;
  out?: string;
  /** The rules folder: its valuesets/ give the value set ids, its schemas/ is the default output. */
  rules?: string;
  json?: boolean;
}

export function schemasCommand(options: SchemasOptions, io: CliIo): number {
  const rules = options.rules ?? process.env.RULES_DIR;
  const dir = resolve(options.out ?? (rules ? join(rules, 'schemas') : schemasDir));
  const generated = rules ? generateSchemas(join(resolve(rules), 'valuesets')) : generateSchemas();
  const stale = [...generated].filter(([name, text]) => {
    const file = join(dir, name);
    return !existsSync(file) || readFileSync(file, 'utf8') !== text;
  });
  const shown = (name: string): string => relative(projectRoot, join(dir, name));
  if (options.check) {
    if (options.json) io.out(JSON.stringify({ ok: stale.length === 0, outOfDate: stale.map(([n]) => shown(n)) }, null, 2));
    else if (stale.length) io.out(`✘ out of date: ${stale.map(([n]) => shown(n)).join(', ')}. Run: npm run schemas`);
    else io.out(`✔ ${generated.size} schemas in ${relative(projectRoot, dir)} are up to date.`);
    return stale.length ? 1 : 0;
  }
  mkdirSync(dir, { recursive: true });
  for (const [name, text] of stale) writeFileSync(join(dir, name), text);
  if (options.json) io.out(JSON.stringify({ ok: true, written: stale.map(([n]) => shown(n)) }, null, 2));
  else
    io.out(
      stale.length
        ? `Wrote ${stale.map(([n]) => shown(n)).join(', ')}.`
        : `${generated.size} schemas in ${relative(projectRoot, dir)} were already up to date.`,
    );
  return 0;
}
