/**
 * The processes a benchmark measures: started as their own OS processes (logs to a file, as a
 * container runtime keeps them), found ready by a line in that log, and sampled from /proc while
 * they run: resident memory and CPU of each process and its children (cluster workers).
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { closeSync, existsSync, openSync, readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';

export interface Running {
  name: string;
  child: ChildProcess;
  /** What the readiness pattern's first group captured (a port or a URL). */
  ready: string;
  logFile: string;
  /** This process and its descendants, now. */
  pids(): number[];
  stop(): Promise<void>;
}

export async function startProcess(
  name: string,
  args: string[],
  options: { env: NodeJS.ProcessEnv; logDir: string; ready: RegExp; timeoutMs?: number },
): Promise<Running> {
  const logFile = join(options.logDir, `${name}.log`);
  const fd = openSync(logFile, 'w');
  const child = spawn(process.execPath, args, { env: options.env, stdio: ['ignore', fd, fd] });
  closeSync(fd);
  const exited = new Promise<number | null>((r) => child.once('exit', (code) => r(code)));
  let gone = false;
  void exited.then(() => (gone = true));
  const until = Date.now() + (options.timeoutMs ?? 60_000);
  for (;;) {
    const text = existsSync(logFile) ? readFileSync(logFile, 'utf8') : '';
    const m = options.ready.exec(text);
    if (m?.[1]) {
      return {
        name,
        child,
        ready: m[1],
        logFile,
        pids: () => (child.pid ? descendants(child.pid) : []),
        async stop() {
          if (!gone) child.kill('SIGTERM');
          const timer = setTimeout(() => child.kill('SIGKILL'), 15_000);
          await exited;
          clearTimeout(timer);
        },
      };
    }
    if (gone) throw new Error(`${name} exited before it was ready; see ${logFile}:\n${text.slice(-2000)}`);
    if (Date.now() > until) throw new Error(`${name} not ready within ${options.timeoutMs ?? 60_000} ms; see ${logFile}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

function descendants(pid: number): number[] {
  const out = [pid];
  try {
    for (const task of readdirSync(`/proc/${pid}/task`)) {
      const children = readFileSync(`/proc/${pid}/task/${task}/children`, 'utf8').trim();
      for (const c of children ? children.split(/\s+/).map(Number) : []) out.push(...descendants(c));
    }
  } catch {
    // Gone, or not Linux: the process alone.
  }
  return out;
}

const TICKS = (() => {
  const r = spawnSync('getconf', ['CLK_TCK'], { encoding: 'utf8' });
  return Number(r.stdout.trim()) || 100;
})();

function rssMb(pid: number): number | undefined {
  try {
    const m = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
    return m ? Number(m[1]) / 1024 : undefined;
  } catch {
    return undefined;
  }
}

/** CPU time (user + system) a process has used so far, from /proc; undefined once it is gone. */
export function cpuSeconds(pid: number): number | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // Fields after the command name (which may hold spaces) start at ") ".
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return (Number(fields[11]) + Number(fields[12])) / TICKS;
  } catch {
    return undefined;
  }
}

export interface ProcessSample {
  process: string;
  pid: number;
  maxRssMb: number;
  /** Share of one core over the window, in percent. */
  cpuPercent: number;
}

/** Samples every 200 ms until stopped; the load generator (this process) is included as "load generator". */
export function sample(processes: readonly Running[]): { stop(): ProcessSample[] } {
  const started = performance.now();
  const self = process.cpuUsage();
  const tracked = new Map<number, { process: string; cpu0: number; maxRss: number }>();
  const poll = (): void => {
    for (const p of processes) {
      for (const pid of p.pids()) {
        const rss = rssMb(pid);
        if (rss === undefined) continue;
        const seen = tracked.get(pid);
        if (seen) seen.maxRss = Math.max(seen.maxRss, rss);
        else tracked.set(pid, { process: p.name, cpu0: cpuSeconds(pid) ?? 0, maxRss: rss });
      }
    }
  };
  poll();
  const timer = setInterval(poll, 200);
  return {
    stop() {
      poll();
      clearInterval(timer);
      const seconds = (performance.now() - started) / 1000;
      const rows = [...tracked].map(([pid, t]) => ({
        process: t.process,
        pid,
        maxRssMb: Math.round(t.maxRss),
        cpuPercent: Math.round((((cpuSeconds(pid) ?? t.cpu0) - t.cpu0) / seconds) * 100),
      }));
      const mine = process.cpuUsage(self);
      rows.push({
        process: 'load generator',
        pid: process.pid,
        maxRssMb: Math.round(process.memoryUsage().rss / 1048576),
        cpuPercent: Math.round(((mine.user + mine.system) / 1e6 / seconds) * 100),
      });
      return rows;
    },
  };
}
