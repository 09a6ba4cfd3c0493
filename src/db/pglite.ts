/**
 * Embedded PostgreSQL (PGlite, WebAssembly) on disk: the default store, no server to run.
 *
 * PGlite executes SQL synchronously on the thread that owns it, so writing 500 cards would stall
 * every request for tens of milliseconds. It therefore runs in a worker thread; this side sends it
 * one statement at a time. PGlite is a single connection, so statements are serialised here and a
 * transaction holds the line from BEGIN to COMMIT.
 */
import { mkdirSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { Worker } from 'node:worker_threads';
import { projectRoot } from '../paths.js';
import type { Database, Queryable, Row } from './types.js';

/** Plain JavaScript read from src/ (see the file), so the built service and the test runner start the same worker. */
const WORKER = resolve(projectRoot, 'src/db/pglite-worker.mjs');

interface Reply {
  id?: number;
  ready?: boolean;
  rows?: Row[];
  error?: { name: string; message: string; code?: string };
}

function toError(e: NonNullable<Reply['error']>): Error {
  return Object.assign(new Error(e.message), { name: e.name, ...(e.code ? { code: e.code } : {}) });
}

/** Opens (and on first use creates, which takes a few seconds) the PGlite data directory. */
export async function openPglite(dataDir: string): Promise<Database> {
  mkdirSync(dirname(dataDir), { recursive: true });
  const worker = new Worker(WORKER, { workerData: { dataDir } });
  const pending = new Map<number, { resolve(rows: Row[]): void; reject(err: Error): void }>();
  let nextId = 1;
  let stopped: Error | undefined;

  await new Promise<void>((resolve, reject) => {
    worker.once('message', (m: Reply) =>
      m.ready ? resolve() : reject(toError(m.error ?? { name: 'Error', message: 'PGlite did not start' })),
    );
    worker.once('error', reject);
  }).catch(async (err: unknown) => {
    await worker.terminate();
    throw err;
  });

  worker.on('message', (m: Reply) => {
    const waiting = m.id === undefined ? undefined : pending.get(m.id);
    if (!waiting || m.id === undefined) return;
    pending.delete(m.id);
    if (m.error) waiting.reject(toError(m.error));
    else waiting.resolve(m.rows ?? []);
  });
  const fail = (err: Error): void => {
    stopped = err;
    for (const w of pending.values()) w.reject(err);
    pending.clear();
  };
  worker.on('error', fail);
  worker.on('exit', () => fail(new Error('the PGlite database is closed')));

  const send = (message: { op: 'query' | 'close'; sql?: string; params?: readonly unknown[] }): Promise<Row[]> => {
    if (stopped) return Promise.reject(stopped);
    const id = nextId++;
    return new Promise((resolve, reject) => {
      pending.set(id, { resolve, reject });
      worker.postMessage({ id, ...message });
    });
  };

  // One statement or transaction at a time: PGlite is one connection.
  let line: Promise<unknown> = Promise.resolve();
  const exclusive = <T>(work: () => Promise<T>): Promise<T> => {
    const run = line.then(work, work);
    line = run.catch(() => undefined);
    return run;
  };
  const direct: Queryable = {
    query: <T extends Row>(sql: string, params: readonly unknown[] = []) => send({ op: 'query', sql, params: [...params] }) as Promise<T[]>,
  };

  return {
    kind: 'pglite',
    query: (sql, params) => exclusive(() => direct.query(sql, params)),
    transaction: (fn) =>
      exclusive(async () => {
        await direct.query('BEGIN');
        try {
          const result = await fn(direct);
          await direct.query('COMMIT');
          return result;
        } catch (err) {
          await direct.query('ROLLBACK').catch(() => undefined);
          throw err;
        }
      }),
    close: () =>
      exclusive(async () => {
        if (stopped) return;
        await send({ op: 'close' });
        await worker.terminate();
      }),
  };
}
