/**
 * How the bench starts a service process: as the image runs it (its NODE_OPTIONS, info logs, the
 * card log), less what a load generator cannot pass. Shared by the full bench and the baseline mode.
 */
import { join } from 'node:path';
import type { TemporarySchema } from '../../scripts/pg-schema.js';
import { projectRoot } from '../../src/paths.js';
import { readDockerfile, stageEnv } from '../support/dockerfile.js';

export const IMAGE_NODE_OPTIONS = stageEnv(readDockerfile(join(projectRoot, 'docker/Dockerfile')).stage('runtime')).NODE_OPTIONS ?? '';

/** The card log goes to `schema` (PostgreSQL) when given, else to PGlite under `dataDir`. */
export function serviceEnv(dataDir: string, schema: TemporarySchema | undefined, extra: Record<string, string> = {}): NodeJS.ProcessEnv {
  return {
    PATH: process.env.PATH ?? '',
    NODE_OPTIONS: IMAGE_NODE_OPTIONS,
    // The production request path without JWT (a token may be used once, and a load generator replays one).
    BACKPAIN_PROFILE: 'demo',
    DEMO_FHIR: 'false',
    DEMO_SYNTHEA: 'false',
    HOST: '127.0.0.1',
    PORT: '0',
    // One client at full speed would trip the per-client limit (1200/min) at once.
    RATE_LIMIT_PER_MINUTE: '0',
    FHIR_SERVER_ALLOWLIST: 'http://127.0.0.1:*/fhir',
    LOG_LEVEL: process.env.BENCH_LOG_LEVEL ?? 'info',
    DATA_DIR: dataDir,
    ...(schema ? { DATABASE_URL: schema.url, FEEDBACK_HMAC_SECRET: 'bench-only-hmac-secret-0123456789abcdef' } : {}),
    ...extra,
  };
}
