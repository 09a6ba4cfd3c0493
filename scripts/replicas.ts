/**
 * `npm run replicas`: three copies of the service on one PostgreSQL, checked as a load balancer's
 * clients see them (scripts/replica-check.ts). Needs DATABASE_URL (or TEST_DATABASE_URL) naming a
 * database where the role may create a schema; the check uses a fresh schema and drops it.
 *   REPLICAS=5 npm run replicas
 */
import { fileURLToPath } from 'node:url';
import { checks, runReplicaCheck } from './replica-check.js';

const databaseUrl = process.env.DATABASE_URL ?? process.env.TEST_DATABASE_URL;
if (!databaseUrl) {
  process.stderr.write(
    'Set DATABASE_URL to a PostgreSQL database ' +
      '(for example postgres://backpain:backpain@127.0.0.1:5432/backpain_test; README, "Run every test").\n',
  );
  process.exit(2);
}

const report = await runReplicaCheck({
  databaseUrl,
  main: fileURLToPath(new URL('../src/main.js', import.meta.url)),
  count: Number(process.env.REPLICAS ?? 3),
  log: (line) => process.stdout.write(`… ${line}\n`),
});
const results = checks(report);
process.stdout.write(`\n${report.replicas.map((r) => `replica ${r.index}: ${r.url} (pid ${r.pid})`).join('\n')}\n\n`);
for (const c of results) process.stdout.write(`${c.ok ? '✔' : '✘'} ${c.name}\n    ${c.detail}\n`);
process.exitCode = results.every((c) => c.ok) ? 0 : 1;
