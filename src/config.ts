/**
 * All settings in one validated place, from environment variables. A wrong value stops start-up
 * with a message that names the variable.
 */
import { resolve } from 'node:path';
import { z } from 'zod';
import { cardsDir, projectRoot, rulesDir } from './paths.js';

const bool = z.enum(['true', 'false', '1', '0']).transform((v) => v === 'true' || v === '1');
const port = z.coerce.number().int().min(0).max(65535);

const EnvSchema = z.object({
  PORT: port.default(3000),
  HOST: z.string().min(1).default('127.0.0.1'),
  FHIR_PORT: port.default(8080),
  DEMO_FHIR: bool.default(true),
  DEMO_SYNTHEA: bool.default(true),
  SYNTHEA_ARCHIVE: z.string().default(resolve(projectRoot, '../shared/data/synthea-r4-sample.tar.xz')),
  FETCH_DEADLINE_MS: z.coerce.number().int().min(50).max(30000).default(1500),
  CORS_ORIGINS: z.string().default('*'),
  BODY_LIMIT: z.string().regex(/^\d+(kb|mb)$/, 'like 1mb or 500kb').default('1mb'),
  LOG_LEVEL: z.enum(['error', 'warn', 'info', 'debug', 'silent']).default('info'),
  RULES_DIR: z.string().default(rulesDir),
  CARDS_DIR: z.string().default(cardsDir),
  // Feedback store (docs/feedback.md): PostgreSQL when DATABASE_URL is set, else PGlite under DATA_DIR.
  DATABASE_URL: z.preprocess((v) => (v === '' ? undefined : v), z.string().regex(/^postgres(ql)?:\/\//, 'must start with postgres:// or postgresql://').optional()),
  DATA_DIR: z.string().min(1).default(resolve(projectRoot, 'data')),
  FEEDBACK_STORE_COMMENTS: bool.default(false),
  FEEDBACK_HMAC_SECRET: z.preprocess((v) => (v === '' ? undefined : v), z.string().min(32, 'must be at least 32 characters').optional()),
  FEEDBACK_RETENTION_DAYS: z.coerce.number().int().min(0).default(730),
});

export type Config = z.infer<typeof EnvSchema>;

export class ConfigError extends Error {}

export function loadConfig(env: Record<string, string | undefined> = process.env): Config {
  const result = EnvSchema.safeParse(env);
  if (result.success) return result.data;
  const lines = result.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`);
  throw new ConfigError(`Invalid configuration:\n  ${lines.join('\n  ')}`);
}

export function corsOrigins(config: Config): string | string[] {
  return config.CORS_ORIGINS === '*' ? '*' : config.CORS_ORIGINS.split(',').map((o) => o.trim()).filter(Boolean);
}
