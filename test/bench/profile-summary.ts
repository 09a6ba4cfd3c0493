/**
 * Where a service process spent its CPU: `node dist/test/bench/profile-summary.js <file.cpuprofile>`
 * (from `BENCH_CPU_PROF=1 npm run bench`). Self time grouped by package (node_modules/<name>), by
 * project folder (src/<stage>) and by Node internals, then the top functions.
 */
import { readFileSync } from 'node:fs';

interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
  children?: number[];
}
interface Profile {
  nodes: ProfileNode[];
  samples: number[];
  timeDeltas: number[];
}

function area(url: string, fn: string): string {
  if (!url) return fn.startsWith('(') ? fn : '(native)';
  const pkg = /node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(url);
  if (pkg) return pkg[1] as string;
  const own = /\/dist\/src\/([^/]+)/.exec(url);
  if (own) return `src/${own[1]}`;
  if (url.startsWith('node:')) return url.replace(/^node:internal\/([^/]+).*/, 'node:$1').replace(/^node:([^/]+).*/, 'node:$1');
  return url;
}

export function summarise(profile: Profile): { total: number; areas: [string, number][]; functions: [string, number][] } {
  const byId = new Map(profile.nodes.map((n) => [n.id, n]));
  const self = new Map<number, number>();
  profile.samples.forEach((id, i) => self.set(id, (self.get(id) ?? 0) + (profile.timeDeltas[i] ?? 0)));
  const areas = new Map<string, number>();
  const functions = new Map<string, number>();
  let total = 0;
  for (const [id, us] of self) {
    const n = byId.get(id);
    if (!n) continue;
    const { functionName, url, lineNumber } = n.callFrame;
    if (functionName === '(idle)') continue;
    total += us;
    const a = area(url, functionName);
    areas.set(a, (areas.get(a) ?? 0) + us);
    const f =
      `${functionName || '(anonymous)'} ${url ? `${url.replace(/^.*\/(node_modules|dist)\//, '$1/')}:${lineNumber + 1}` : ''}`.trim();
    functions.set(f, (functions.get(f) ?? 0) + us);
  }
  const sorted = (m: Map<string, number>): [string, number][] => [...m].sort((a, b) => b[1] - a[1]);
  return { total, areas: sorted(areas), functions: sorted(functions) };
}

const file = process.argv[2];
if (file) {
  const { total, areas, functions } = summarise(JSON.parse(readFileSync(file, 'utf8')) as Profile);
  const pct = (us: number): string => `${((us / total) * 100).toFixed(1).padStart(5)}%`;
  process.stdout.write(`busy CPU time ${(total / 1e6).toFixed(1)} s (idle excluded)\n\nby area (self time):\n`);
  for (const [a, us] of areas.slice(0, 25)) process.stdout.write(`  ${pct(us)}  ${a}\n`);
  process.stdout.write('\ntop functions (self time):\n');
  for (const [f, us] of functions.slice(0, 30)) process.stdout.write(`  ${pct(us)}  ${f}\n`);
}
