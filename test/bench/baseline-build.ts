/**
 * The baseline build for `npm run bench -- --baseline <ref>`: a detached git worktree of the ref
 * under bench-results/baseline/<sha>, installed and built there once and reused for the same sha;
 * or a checkout someone built already (`--baseline-dir`).
 */
import { spawnSync } from 'node:child_process';
import { existsSync, rmSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import type { BaselineSource } from './baseline-plan.js';

export interface BaselineBuild {
  dir: string;
  /** What the table calls the baseline: the ref and its commit, or the folder. */
  label: string;
  sha: string | undefined;
  prepared: 'reused' | 'built' | 'given';
  /** Time spent installing and building (0 when reused or given). */
  seconds: number;
}

/** Written last, so a build that failed half-way is not taken for a finished one. */
const BUILT_MARKER = '.bench-baseline-built';

function run(command: string, args: string[], cwd: string): string {
  const r = spawnSync(command, args, { cwd, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
  if (r.status !== 0)
    throw new Error(`${command} ${args.join(' ')} (in ${cwd}) failed: ${(r.stderr || r.stdout || String(r.error)).trim()}`);
  return r.stdout.trim();
}

/** Runs a step whose output the user should see while it runs (npm), on stderr so stdout keeps the table. */
function step(command: string, args: string[], cwd: string): void {
  process.stderr.write(`baseline: ${command} ${args.join(' ')}\n`);
  const r = spawnSync(command, args, { cwd, stdio: ['ignore', 2, 2] });
  if (r.status !== 0) throw new Error(`${command} ${args.join(' ')} (in ${cwd}) failed with ${r.status ?? String(r.error)}`);
}

/**
 * `npm ci` where the lockfile allows it. An older commit's lockfile can be out of step with its
 * package.json (optional platform packages a later npm records): then `npm install`, which only
 * touches this throwaway checkout.
 */
function install(dir: string): void {
  const flags = ['--no-audit', '--no-fund', '--prefer-offline'];
  if (existsSync(join(dir, 'package-lock.json'))) {
    try {
      step('npm', ['ci', ...flags], dir);
      return;
    } catch {
      process.stderr.write('baseline: npm ci refused this lockfile; installing with npm install instead\n');
    }
  }
  step('npm', ['install', ...flags], dir);
}

export function gitHead(dir: string): string | undefined {
  try {
    return run('git', ['rev-parse', 'HEAD'], dir);
  } catch {
    return undefined;
  }
}

/** The service's entry point, which a usable baseline must have. */
export const baselineMain = (dir: string): string => join(dir, 'dist/src/main.js');

export function prepareBaseline(source: BaselineSource, projectRoot: string): BaselineBuild {
  if (source.kind === 'dir') {
    const dir = resolve(source.dir);
    if (!existsSync(baselineMain(dir))) throw new Error(`${dir} has no dist/src/main.js: build it first (npm run build there)`);
    const sha = gitHead(dir);
    return { dir, label: sha ? `${dir} (${sha.slice(0, 9)})` : dir, sha, prepared: 'given', seconds: 0 };
  }
  const sha = run('git', ['rev-parse', '--verify', `${source.ref}^{commit}`], projectRoot);
  const dir = join(projectRoot, 'bench-results/baseline', sha);
  const label = `${source.ref} (${sha.slice(0, 9)})`;
  if (existsSync(join(dir, BUILT_MARKER)) && existsSync(baselineMain(dir))) return { dir, label, sha, prepared: 'reused', seconds: 0 };
  const started = performance.now();
  // A build that did not finish, or a folder deleted while git still lists it as a worktree: unregister
  // and start from a clean checkout (remove fails harmlessly when git does not know the folder).
  spawnSync('git', ['worktree', 'remove', '--force', dir], { cwd: projectRoot, stdio: 'ignore' });
  rmSync(dir, { recursive: true, force: true });
  step('git', ['worktree', 'add', '--detach', dir, sha], projectRoot);
  install(dir);
  step('npm', ['run', 'build'], dir);
  if (!existsSync(baselineMain(dir))) throw new Error(`the build of ${label} made no dist/src/main.js`);
  writeFileSync(join(dir, BUILT_MARKER), `${sha}\n`);
  return { dir, label, sha, prepared: 'built', seconds: Math.round((performance.now() - started) / 1000) };
}
