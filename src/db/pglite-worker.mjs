// @ts-check
/**
 * The PGlite worker thread (src/db/pglite.ts starts it): it owns the database and runs one
 * message's statement at a time. Plain JavaScript, read from src/ by both the built service and the
 * test runner, so it needs no build step; the image copies it beside dist/ (docker/Dockerfile).
 */
import { parentPort, workerData } from 'node:worker_threads';
import { PGlite } from '@electric-sql/pglite';

if (!parentPort) throw new Error('pglite-worker.mjs runs as a worker thread');
const port = parentPort;

/** @param {unknown} e */
const describe = (e) => {
  const err = /** @type {{ name?: string; message?: string; code?: string }} */ (e);
  return { name: err.name ?? 'Error', message: err.message ?? String(e), ...(err.code ? { code: err.code } : {}) };
};

/** @type {PGlite | undefined} */
let db;
PGlite.create(/** @type {{ dataDir: string }} */ (workerData).dataDir).then(
  (d) => {
    db = d;
    port.postMessage({ ready: true });
  },
  (e) => port.postMessage({ ready: false, error: describe(e) }),
);

port.on('message', async (/** @type {{ id: number; op: 'query' | 'close'; sql?: string; params?: unknown[] }} */ m) => {
  try {
    if (!db) throw new Error('PGlite is not open');
    if (m.op === 'close') {
      await db.close();
      port.postMessage({ id: m.id, rows: [] });
      return;
    }
    const result = await db.query(m.sql ?? '', m.params);
    port.postMessage({ id: m.id, rows: result.rows });
  } catch (e) {
    port.postMessage({ id: m.id, error: describe(e) });
  }
});
