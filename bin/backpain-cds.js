#!/usr/bin/env node
// `npx backpain-cds`: runs the CLI from dist/. In a fresh clone, or after src/ changed (a pull, an
// edit), it first compiles with the project's own TypeScript, so the command never runs stale code.
// Build messages go to stderr, so `--json` output on stdout stays clean.
import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync, statSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const entry = join(root, 'dist', 'src', 'cli', 'main.js');

function newestSource(dir) {
  let newest = 0;
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    const path = join(dir, e.name);
    if (e.isDirectory()) newest = Math.max(newest, newestSource(path));
    else if (e.name.endsWith('.ts')) newest = Math.max(newest, statSync(path).mtimeMs);
  }
  return newest;
}

if (!existsSync(entry) || statSync(entry).mtimeMs < newestSource(join(root, 'src'))) {
  process.stderr.write('backpain-cds: compiling the TypeScript sources (npm run build) first...\n');
  const tsc = join(root, 'node_modules', 'typescript', 'bin', 'tsc');
  if (!existsSync(tsc)) {
    process.stderr.write('backpain-cds: TypeScript is not installed; run `npm install` in the project folder first.\n');
    process.exit(2);
  }
  const build = spawnSync(process.execPath, [tsc, '-p', join(root, 'tsconfig.build.json')], { stdio: ['ignore', 2, 2] });
  if (build.status !== 0 || !existsSync(entry)) {
    process.stderr.write('backpain-cds: the build failed (see above); fix it or run `npm run build`.\n');
    process.exit(2);
  }
}

await import(pathToFileURL(entry).href);
