import {
  describeRuleCheck,
  formatTable,
  median,
  parseBaselineArgs,
  roundOrder,
  summarise,
  type Measurement,
  type Side,
} from '../bench/baseline-plan.js';

describe('parseBaselineArgs', () => {
  it('is off without --baseline, --baseline-dir or BENCH_BASELINE, so npm run bench runs the full benchmark', () => {
    expect(parseBaselineArgs([], {})).toBeUndefined();
    expect(parseBaselineArgs([], { BENCH_BASELINE: '' })).toBeUndefined();
  });

  it('takes a git ref with the defaults of 6 rounds of 400 requests on every service', () => {
    expect(parseBaselineArgs(['--baseline', 'main'], {})).toEqual({
      source: { kind: 'ref', ref: 'main' },
      rounds: 6,
      requests: 400,
      services: [],
    });
    expect(parseBaselineArgs(['--baseline=HEAD~1'], {})?.source).toEqual({ kind: 'ref', ref: 'HEAD~1' });
  });

  it('takes the ref from BENCH_BASELINE, and the flag wins over it', () => {
    expect(parseBaselineArgs([], { BENCH_BASELINE: 'v0.1.0' })?.source).toEqual({ kind: 'ref', ref: 'v0.1.0' });
    expect(parseBaselineArgs(['--baseline', 'main'], { BENCH_BASELINE: 'v0.1.0' })?.source).toEqual({ kind: 'ref', ref: 'main' });
  });

  it('takes a built checkout, rounds, requests and a service filter', () => {
    expect(
      parseBaselineArgs(['--baseline-dir', '/tmp/old', '--services', 'imaging, chronic'], { BENCH_ROUNDS: '2', BENCH_REQUESTS: '100' }),
    ).toEqual({ source: { kind: 'dir', dir: '/tmp/old' }, rounds: 2, requests: 100, services: ['imaging', 'chronic'] });
    expect(parseBaselineArgs(['--baseline', 'main'], { BENCH_SERVICES: 'sign' })?.services).toEqual(['sign']);
  });

  it('refuses what it does not know, a flag without a value, both sources, and counts that are not whole and positive', () => {
    expect(() => parseBaselineArgs(['--basline', 'main'], {})).toThrow(/unknown argument "--basline"/);
    expect(() => parseBaselineArgs(['--baseline'], {})).toThrow(/--baseline needs a value/);
    expect(() => parseBaselineArgs(['--baseline', '--services', 'x'], {})).toThrow(/--baseline needs a value/);
    expect(() => parseBaselineArgs(['--baseline', 'main', '--baseline-dir', '/tmp/old'], {})).toThrow(/not both/);
    expect(() => parseBaselineArgs(['--services', 'sign'], {})).toThrow(/only applies to a baseline run/);
    expect(() => parseBaselineArgs(['--baseline', 'main'], { BENCH_ROUNDS: '0' })).toThrow(/BENCH_ROUNDS/);
    expect(() => parseBaselineArgs(['--baseline', 'main'], { BENCH_REQUESTS: '2.5' })).toThrow(/BENCH_REQUESTS/);
  });
});

describe('roundOrder', () => {
  it('alternates which build goes first: baseline, current, current, baseline, ...', () => {
    expect([0, 1, 2, 3].flatMap((r) => roundOrder(r))).toEqual([
      'baseline',
      'current',
      'current',
      'baseline',
      'baseline',
      'current',
      'current',
      'baseline',
    ]);
  });
});

describe('median', () => {
  it('is the middle value, or the mean of the two middle values, whatever the order', () => {
    expect(median([3, 1, 2])).toBe(2);
    expect(median([4, 1, 3, 2])).toBe(2.5);
    expect(median([])).toBeNaN();
  });
});

const m = (workload: string, round: number, side: Side, serviceMsPerCall: number, reqPerSec = 1000, fhirMsPerCall = 0): Measurement => ({
  workload,
  round,
  side,
  serviceMsPerCall,
  fhirMsPerCall,
  reqPerSec,
  ok: 400,
  non2xx: 0,
  errors: 0,
});

describe('summarise', () => {
  it('takes medians per side and the change per round before its median, so drift between rounds stays out', () => {
    // The machine gets twice as slow from round 1 on; the current build costs 10% more in every round.
    const rows = summarise([
      m('select, full prefetch', 0, 'baseline', 1.0, 2000, 0.1),
      m('select, full prefetch', 0, 'current', 1.1, 1800, 0.1),
      m('select, full prefetch', 1, 'current', 2.2, 900, 0.3),
      m('select, full prefetch', 1, 'baseline', 2.0, 1000, 0.2),
      m('select, full prefetch', 2, 'baseline', 2.0, 1000, 0.2),
      m('select, full prefetch', 2, 'current', 2.3, 900, 0.2),
    ]);
    expect(rows).toHaveLength(1);
    const [row] = rows;
    expect(row?.rounds).toBe(3);
    expect(row?.baseline).toEqual({ serviceMsPerCall: 2.0, fhirMsPerCall: 0.2, reqPerSec: 1000 });
    expect(row?.current.serviceMsPerCall).toBe(2.2);
    expect(row?.changePercent).toBeCloseTo(10, 6);
    expect(row?.changeMin).toBeCloseTo(10, 6);
    expect(row?.changeMax).toBeCloseTo(15, 6);
  });

  it('keeps workloads apart, in the order they were measured', () => {
    const rows = summarise([m('b', 0, 'baseline', 1), m('b', 0, 'current', 0.5), m('a', 0, 'current', 3), m('a', 0, 'baseline', 2)]);
    expect(rows.map((r) => [r.workload, r.changePercent])).toEqual([
      ['b', -50],
      ['a', 50],
    ]);
  });
});

describe('formatTable', () => {
  it('shows each side, the change with its sign, the per-round spread, req/s and the FHIR server CPU', () => {
    const table = formatTable(summarise([m('w', 0, 'baseline', 0.5, 2000.4, 0.01), m('w', 0, 'current', 0.45, 2222.6, 0.02)]));
    const lines = table.split('\n');
    expect(lines[0]).toMatch(/^\| workload \| baseline CPU ms\/call \| current CPU ms\/call \| change \|/);
    expect(lines[1]).toBe('|---|---:|---:|---:|---:|---:|---:|---:|');
    expect(lines[2]).toBe('| w | 0.500 | 0.450 | -10.0% | -10.0% to -10.0% | 2000 | 2223 | 0.010 / 0.020 |');
    expect(formatTable(summarise([m('w', 0, 'baseline', 1), m('w', 0, 'current', 1.25)]))).toContain('| +25.0% | +25.0% to +25.0% |');
    expect(formatTable(summarise([m('w', 0, 'baseline', 3), m('w', 0, 'current', 2.9999999)]))).toContain('| 0.0% | 0.0% to 0.0% |');
  });
});

describe('describeRuleCheck', () => {
  it('says when both builds decide alike, whatever the order of the cards', () => {
    expect(describeRuleCheck([{ workload: 'w', baseline: ['b', 'a'], current: ['a', 'b'] }])).toMatch(/same cards/);
  });

  it('names each workload whose cards differ, with both sides', () => {
    expect(
      describeRuleCheck([
        { workload: 'w', baseline: ['a'], current: ['a'] },
        { workload: 'v', baseline: ['a'], current: [] },
      ]),
    ).toBe("The builds' cards differ (rule ids): v: baseline [a], current [].");
  });
});
