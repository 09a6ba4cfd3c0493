/**
 * The pure half of `npm run bench -- --baseline <ref>` (baseline.ts runs it): its arguments, the
 * order in which the two builds are measured, and how the rounds become one table.
 */

export type Side = 'baseline' | 'current';

export type BaselineSource = { kind: 'ref'; ref: string } | { kind: 'dir'; dir: string };

export interface BaselineOptions {
  source: BaselineSource;
  rounds: number;
  /** Requests per measurement (autocannon's `amount`). */
  requests: number;
  /** Substrings of service ids to measure; empty means every service. */
  services: string[];
}

const USAGE =
  'usage: npm run bench -- --baseline <git-ref> | --baseline-dir <built checkout> [--services <id-part,...>] ' +
  '(or BENCH_BASELINE=<git-ref>; BENCH_ROUNDS, BENCH_REQUESTS, BENCH_SERVICES)';

function positiveInteger(name: string, value: string | undefined, fallback: number): number {
  if (value === undefined || value === '') return fallback;
  const n = Number(value);
  if (!Number.isInteger(n) || n < 1) throw new Error(`${name} must be a whole number above 0, not "${value}"`);
  return n;
}

/**
 * Baseline options from the command line and the environment, or undefined when neither asks for a
 * baseline (then `npm run bench` runs the full benchmark). Anything it does not know is an error,
 * so a mistyped flag does not silently run the other benchmark.
 */
export function parseBaselineArgs(argv: readonly string[], env: Readonly<Record<string, string | undefined>>): BaselineOptions | undefined {
  let ref = env.BENCH_BASELINE || undefined;
  let dir: string | undefined;
  let services = env.BENCH_SERVICES ?? '';
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i] as string;
    const [flag, inline] =
      arg.startsWith('--') && arg.includes('=') ? [arg.slice(0, arg.indexOf('=')), arg.slice(arg.indexOf('=') + 1)] : [arg];
    if (flag !== '--baseline' && flag !== '--baseline-dir' && flag !== '--services') throw new Error(`unknown argument "${arg}"; ${USAGE}`);
    const value = inline ?? argv[++i];
    if (!value || value.startsWith('--')) throw new Error(`${flag} needs a value; ${USAGE}`);
    if (flag === '--baseline') ref = value;
    else if (flag === '--baseline-dir') dir = value;
    else services = value;
  }
  if (ref === undefined && dir === undefined) {
    if (argv.length > 0) throw new Error(`--services only applies to a baseline run; ${USAGE}`);
    return undefined;
  }
  if (ref !== undefined && dir !== undefined)
    throw new Error(`give either a git ref or a built checkout as the baseline, not both; ${USAGE}`);
  return {
    source: dir !== undefined ? { kind: 'dir', dir } : { kind: 'ref', ref: ref as string },
    rounds: positiveInteger('BENCH_ROUNDS', env.BENCH_ROUNDS, 6),
    requests: positiveInteger('BENCH_REQUESTS', env.BENCH_REQUESTS, 400),
    services: services
      .split(',')
      .map((s) => s.trim())
      .filter(Boolean),
  };
}

/**
 * Which build goes first in a round: baseline, current, then current, baseline, and so on, so a
 * machine that speeds up or slows down during the run favours neither side.
 */
export function roundOrder(round: number): [Side, Side] {
  return round % 2 === 0 ? ['baseline', 'current'] : ['current', 'baseline'];
}

export function median(values: readonly number[]): number {
  if (values.length === 0) return Number.NaN;
  const s = [...values].sort((a, b) => a - b);
  const mid = Math.floor(s.length / 2);
  return s.length % 2 ? (s[mid] as number) : ((s[mid - 1] as number) + (s[mid] as number)) / 2;
}

/** The rule ids (source.topic.code) of the cards each build answered one workload with. */
export interface RuleCheck {
  workload: string;
  baseline: string[];
  current: string[];
}

/** A sentence for the report: whether the two builds decide alike (information, not a failure: a change may mean to differ). */
export function describeRuleCheck(checks: readonly RuleCheck[]): string {
  const key = (ids: readonly string[]): string => [...ids].sort().join(', ');
  const differing = checks.filter((c) => key(c.baseline) !== key(c.current));
  if (differing.length === 0) return 'Both builds answered every workload with the same cards (rule ids).';
  const each = differing.map((d) => `${d.workload}: baseline [${key(d.baseline)}], current [${key(d.current)}]`);
  return `The builds' cards differ (rule ids): ${each.join('; ')}.`;
}

/** One measurement: one build, one workload, one round. */
export interface Measurement {
  workload: string;
  round: number;
  side: Side;
  /** Service process CPU (user + system) per 2xx answer. */
  serviceMsPerCall: number;
  /** Demo FHIR server CPU per 2xx answer (near zero with full prefetch). */
  fhirMsPerCall: number;
  reqPerSec: number;
  ok: number;
  non2xx: number;
  errors: number;
}

export interface SideSummary {
  serviceMsPerCall: number;
  fhirMsPerCall: number;
  reqPerSec: number;
}

export interface WorkloadSummary {
  workload: string;
  rounds: number;
  baseline: SideSummary;
  current: SideSummary;
  /** Median of the per-round changes in service CPU per call, current against baseline, in percent. */
  changePercent: number;
  /** The smallest and largest per-round change: how far the machine's noise reaches. */
  changeMin: number;
  changeMax: number;
}

function sideSummary(ms: readonly Measurement[]): SideSummary {
  return {
    serviceMsPerCall: median(ms.map((m) => m.serviceMsPerCall)),
    fhirMsPerCall: median(ms.map((m) => m.fhirMsPerCall)),
    reqPerSec: median(ms.map((m) => m.reqPerSec)),
  };
}

/**
 * Medians per workload and side, in the order workloads were first measured. The change is taken
 * per round (the two sides of a round ran back to back) before the median, so drift between rounds
 * does not enter it.
 */
export function summarise(measurements: readonly Measurement[]): WorkloadSummary[] {
  const workloads = [...new Set(measurements.map((m) => m.workload))];
  return workloads.map((workload) => {
    const of = measurements.filter((m) => m.workload === workload);
    const base = of.filter((m) => m.side === 'baseline');
    const cur = of.filter((m) => m.side === 'current');
    const changes = cur.flatMap((c) => {
      const b = base.find((m) => m.round === c.round);
      return b ? [(c.serviceMsPerCall / b.serviceMsPerCall - 1) * 100] : [];
    });
    return {
      workload,
      rounds: changes.length,
      baseline: sideSummary(base),
      current: sideSummary(cur),
      changePercent: median(changes),
      changeMin: Math.min(...changes),
      changeMax: Math.max(...changes),
    };
  });
}

const signed = (p: number): string => {
  const rounded = p.toFixed(1);
  // Not "-0.0%": a change that rounds to nothing has no sign.
  return Number(rounded) === 0 ? '0.0%' : `${p > 0 ? '+' : ''}${rounded}%`;
};

export function formatTable(rows: readonly WorkloadSummary[]): string {
  return [
    '| workload | baseline CPU ms/call | current CPU ms/call | change | change per round (min to max) ' +
      '| baseline req/s | current req/s | FHIR server CPU ms/call (baseline / current) |',
    '|---|---:|---:|---:|---:|---:|---:|---:|',
    ...rows.map(
      (r) =>
        `| ${r.workload} | ${r.baseline.serviceMsPerCall.toFixed(3)} | ${r.current.serviceMsPerCall.toFixed(3)} ` +
        `| ${signed(r.changePercent)} | ${signed(r.changeMin)} to ${signed(r.changeMax)} ` +
        `| ${Math.round(r.baseline.reqPerSec)} | ${Math.round(r.current.reqPerSec)} ` +
        `| ${r.baseline.fhirMsPerCall.toFixed(3)} / ${r.current.fhirMsPerCall.toFixed(3)} |`,
    ),
  ].join('\n');
}
