/**
 * The supported Node range is stated once (package.json engines), said truthfully in the README, and
 * the Node running the tests is in it.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { projectRoot } from '../../src/paths.js';

const pkg = JSON.parse(readFileSync(join(projectRoot, 'package.json'), 'utf8')) as { engines: { node: string } };
const readme = readFileSync(join(projectRoot, 'README.md'), 'utf8');

function parts(version: string): number[] {
  return version.split('.').map(Number);
}

test('the README states the same lowest Node as package.json, and the Node running the tests is at least that', () => {
  const lowest = /^>=(\d+\.\d+)$/.exec(pkg.engines.node)?.[1];
  expect(lowest).toBeDefined();
  expect(readme).toContain(`Node.js ${lowest} or later`);
  const [major = 0, minor = 0] = parts(process.versions.node);
  const [wantMajor = 0, wantMinor = 0] = parts(lowest ?? '');
  expect(major > wantMajor || (major === wantMajor && minor >= wantMinor)).toBe(true);
});

test('on CI the tests run on the lowest supported major, so what the README promises is what is tested', () => {
  if (!process.env.CI) return;
  expect(parts(process.versions.node)[0]).toBe(parts(pkg.engines.node.replace('>=', ''))[0]);
});

test('the lowest-Node run (scripts/test-lowest-node.sh, run by CI) is on exactly the version engines names', () => {
  if (!process.env.LOWEST_NODE) return;
  const lowest = pkg.engines.node.replace('>=', '');
  expect(process.versions.node).toBe(lowest.split('.').length === 2 ? `${lowest}.0` : lowest);
  expect(process.env.LOWEST_NODE).toBe(process.versions.node);
});
