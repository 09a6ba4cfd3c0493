/**
 * Compiles src/ to plain JavaScript for tests that must run the service as its own process
 * (signals, exit codes). Transpile only (the type check is `npm run typecheck`), so it takes well
 * under a second. The output sits in the project (git-ignored), so package.json's "type": "module",
 * the project's packages and its rule files are found from it as from dist/.
 */
import { mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import ts from 'typescript';
import { projectRoot } from '../../src/paths.js';

export const buildDir = resolve(projectRoot, '.test-build');

function* tsFiles(dir: string): Generator<string> {
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) yield* tsFiles(path);
    else if (entry.name.endsWith('.ts') && !entry.name.endsWith('.d.ts')) yield path;
  }
}

/** Builds src/ (and the test folders named) and returns the path of the built `<entry>.ts`. */
export function buildSrc(entry = 'src/main', testDirs: string[] = []): string {
  for (const dir of ['src', ...testDirs]) buildDirectory(dir);
  return join(buildDir, `${entry}.js`);
}

function buildDirectory(dir: string): void {
  const srcDir = resolve(projectRoot, dir);
  for (const file of tsFiles(srcDir)) {
    if (file.endsWith('.test.ts')) continue;
    const out = join(buildDir, dir, relative(srcDir, file)).replace(/\.ts$/, '.js');
    const { outputText } = ts.transpileModule(readFileSync(file, 'utf8'), {
      compilerOptions: { module: ts.ModuleKind.ES2022, target: ts.ScriptTarget.ES2022, esModuleInterop: true },
      fileName: file,
    });
    mkdirSync(dirname(out), { recursive: true });
    writeFileSync(out, outputText);
  }
}
