/**
 * `npm start` in the demo profile runs the demo FHIR server in a child process, off the service's
 * event loop (issue 13: a stall of the shared loop made the Sandbox's calls 503): the real built
 * service, its banner's example request answered through the demo server, and both processes gone
 * after SIGTERM.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { buildSrc } from '../support/build.js';
import { post } from '../support/harness.js';

let main: string;
let dataDir: string;
let child: ChildProcess | undefined;

beforeAll(() => {
  main = buildSrc('src/main');
  dataDir = mkdtempSync(join(tmpdir(), 'backpain-demo-'));
});
afterAll(() => {
  if (child?.exitCode === null) child.kill('SIGKILL');
  rmSync(dataDir, { recursive: true, force: true });
});

const freePort = (): Promise<number> =>
  new Promise((resolve) => {
    const s = createServer().listen(0, '127.0.0.1', () => {
      const { port } = s.address() as { port: number };
      s.close(() => resolve(port));
    });
  });

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

const childrenOf = (pid: number): number[] =>
  readFileSync(`/proc/${pid}/task/${pid}/children`, 'utf8').split(/\s+/).filter(Boolean).map(Number);

test("the demo FHIR server is another process; the banner's example is answered through it; SIGTERM ends both", async () => {
  const fhirPort = await freePort();
  child = spawn(process.execPath, ['--experimental-websocket', main], {
    env: {
      PATH: process.env.PATH ?? '',
      PORT: '0',
      FHIR_PORT: String(fhirPort),
      DEMO_SYNTHEA: 'false',
      DATA_DIR: dataDir,
      LOG_LEVEL: 'warn',
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  child.stdout?.on('data', (d: Buffer) => (out += d.toString()));
  child.stderr?.on('data', (d: Buffer) => (out += d.toString()));
  const exited = new Promise<number | null>((r) => child?.once('exit', (code) => r(code)));
  while (!/Try it \(returns an imaging-defer card\):\n\s+curl .* -d '(.+)'\n/.test(out)) {
    if (child.exitCode !== null) throw new Error(`the service exited:\n${out}`);
    await new Promise((r) => setTimeout(r, 100));
  }
  const [, url, body] = /curl -s -X POST (\S+) -H 'Content-Type: application\/json' -d '(.+)'\n/.exec(out) ?? [];
  expect(out).toContain(`demo FHIR R4 server: http://127.0.0.1:${fhirPort}/fhir`);

  const helpers = childrenOf(child.pid ?? 0);
  expect(helpers).toHaveLength(1);
  expect(readFileSync(`/proc/${helpers[0]}/cmdline`, 'utf8')).toContain('fhir-main.js');

  const res = await post(url ?? '', body ?? '');
  expect(res.status).toBe(200);
  expect((res.body as { cards: { source: { topic: { code: string } } }[] }).cards.map((c) => c.source.topic.code)).toEqual([
    'imaging-defer',
  ]);

  child.kill('SIGTERM');
  expect(await exited).toBe(0);
  // The demo FHIR server went with it.
  let gone = false;
  for (let i = 0; i < 50 && !gone; i++) {
    gone = !alive(helpers[0] ?? 0);
    if (!gone) await new Promise((r) => setTimeout(r, 100));
  }
  expect(gone).toBe(true);
}, 60_000);
