/**
 * Runs the fuzzer (test/fuzz/run.ts) as a plain Node process and checks its report: at least
 * FUZZ_RUNS (10,000) generated hook requests plus generated FHIR answers, part over real HTTP,
 * and no failure. The seed is printed; FUZZ_SEED=<seed> npm test -- test/fuzz replays a run.
 */
import { spawn } from 'node:child_process';
import { buildSrc } from '../support/build.js';

interface Report {
  seed: number;
  runs: number;
  fhirRuns: number;
  sent: { http: number; inject: number };
  seconds: number;
  answers: Record<string, number>;
  failure: string | null;
}

test('generated hook requests and FHIR answers never get a 5xx, a crash or a polluted prototype', async () => {
  const runner = buildSrc('test/fuzz/run', ['test/fuzz', 'test/support']);
  const { code, out } = await new Promise<{ code: number | null; out: string }>((resolve) => {
    const child = spawn(process.execPath, ['--experimental-websocket', runner], {
      env: { ...process.env, NODE_OPTIONS: '' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let text = '';
    child.stdout.on('data', (c: Buffer) => (text += c.toString()));
    child.stderr.on('data', (c: Buffer) => (text += c.toString()));
    child.once('exit', (c) => resolve({ code: c, out: text }));
  });
  const last = out.trim().split('\n').at(-1) ?? '';
  let report: Report;
  try {
    report = JSON.parse(last) as Report;
  } catch {
    throw new Error(`the fuzzer did not report (exit ${code}):\n${out.slice(-3000)}`);
  }
  const table = Object.entries(report.answers)
    .sort()
    .map(([k, n]) => `  ${k}: ${n}`);
  process.stdout.write(
    `fuzz seed ${report.seed} (replay: FUZZ_SEED=${report.seed}): ` +
      `${report.sent.http} over HTTP + ${report.sent.inject} injected in ${report.seconds} s\n${table.join('\n')}\n`,
  );
  if (report.failure) throw new Error(`fuzz seed ${report.seed} failed:\n${report.failure}`);
  expect(code).toBe(0);
  expect(report.sent.http + report.sent.inject).toBeGreaterThanOrEqual(report.runs + report.fhirRuns);
  expect(report.runs).toBeGreaterThanOrEqual(Number(process.env.FUZZ_RUNS ?? 10_000));
  expect(report.sent.http).toBeGreaterThan(0);
}, 900_000);
