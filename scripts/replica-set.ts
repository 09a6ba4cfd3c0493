/**
 * Several copies of the service on one machine, each its own process on its own port, as a load
 * balancer would see them. Each is started from the given entry point (dist/src/main.js, or the
 * tests' transpiled copy) with the environment given, and found ready by its start-up banner.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { childEnv } from './child-env.js';

export interface Replica {
  index: number;
  url: string;
  pid: number;
  /** Everything the process printed so far (JSON log lines and the banner). */
  output(): string;
}

export interface ReplicaSet {
  replicas: Replica[];
  /** SIGTERM to each, then their exit codes (graceful shutdown answers 0). */
  stop(): Promise<(number | null)[]>;
  /** SIGKILL whatever is left (a failed test). */
  kill(): void;
}

export interface ReplicaOptions {
  count: number;
  /** The service's entry point. */
  main: string;
  env: (index: number) => NodeJS.ProcessEnv;
  nodeArgs?: string[];
  startTimeoutMs?: number;
}

export async function startReplicas(options: ReplicaOptions): Promise<ReplicaSet> {
  const children: { child: ChildProcess; exited: Promise<number | null>; out: () => string }[] = [];
  const started = Array.from({ length: options.count }, async (_, index): Promise<Replica> => {
    const child = spawn(process.execPath, [...(options.nodeArgs ?? []), options.main], {
      env: { ...childEnv(), ...options.env(index), PORT: '0' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let out = '';
    child.stdout?.on('data', (d: Buffer) => (out += d.toString()));
    child.stderr?.on('data', (d: Buffer) => (out += d.toString()));
    const exited = new Promise<number | null>((r) => child.once('exit', (code) => r(code)));
    children.push({ child, exited, out: () => out });
    const url = await new Promise<string>((resolve, reject) => {
      const timeout = setTimeout(
        () => reject(new Error(`replica ${index} did not start within ${options.startTimeoutMs ?? 30_000} ms:\n${out.slice(-3000)}`)),
        options.startTimeoutMs ?? 30_000,
      );
      const poll = setInterval(() => {
        const m = /CDS Hooks discovery: (http:\/\/\S+)\/cds-services/.exec(out);
        if (!m?.[1]) return;
        clearInterval(poll);
        clearTimeout(timeout);
        resolve(m[1].replace('//localhost:', '//127.0.0.1:'));
      }, 25);
      void exited.then((code) => {
        clearInterval(poll);
        clearTimeout(timeout);
        reject(new Error(`replica ${index} exited with ${code} before it started:\n${out.slice(-3000)}`));
      });
    });
    return { index, url, pid: child.pid ?? 0, output: () => out };
  });
  const kill = (): void => {
    for (const c of children) if (c.child.exitCode === null) c.child.kill('SIGKILL');
  };
  let replicas: Replica[];
  try {
    replicas = await Promise.all(started);
  } catch (err) {
    kill();
    throw err;
  }
  return {
    replicas,
    kill,
    async stop() {
      for (const c of children) if (c.child.exitCode === null) c.child.kill('SIGTERM');
      const timer = setTimeout(kill, 20_000);
      const codes = await Promise.all(children.map((c) => c.exited));
      clearTimeout(timer);
      return codes;
    },
  };
}
