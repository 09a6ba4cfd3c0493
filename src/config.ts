/**
 * All settings in one validated place: environment variables over an optional JSON file named by
 * CONFIG_FILE, over the defaults of the profile (demo or production). A wrong value stops start-up
 * with a message that names the setting. README has the table of every setting.
 */
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { z } from 'zod';
import { parseAllowlistEntry } from './context/fhir-server-allowlist.js';
import { cardsDir, projectRoot, rulesDir } from './paths.js';

const bool = z.union([z.boolean(), z.enum(['true', 'false', '1', '0']).transform((v) => v === 'true' || v === '1')]);
const port = z.coerce.number().int().min(0).max(65535);
const int = (min: number, max: number) => z.coerce.number().int().min(min).max(max);
/** A comma-separated string (environment) or an array of strings (config file). */
const list = z
  .union([z.array(z.string()), z.string()])
  .transform((v) => (Array.isArray(v) ? v : v.split(',')).map((s) => s.trim()).filter(Boolean));
/** JSON in a string (environment) or already parsed (config file). */
const json = <T extends z.ZodType>(schema: T) =>
  z.preprocess((v, ctx) => {
    if (typeof v !== 'string') return v;
    try {
      return JSON.parse(v) as unknown;
    } catch {
      ctx.addIssue({ code: 'custom', message: 'is not valid JSON' });
      return z.NEVER;
    }
  }, schema);
const httpUrl = z.url({ protocol: /^https?$/, error: 'must be an http(s) URL' });

/** One trusted EHR: where its signing keys are. A jku header is fetched only when it is in `jku`. */
const IssuerSchema = z
  .strictObject({
    iss: z.string().min(1),
    jwksUrl: httpUrl.optional(),
    jku: z.array(httpUrl).min(1).optional(),
    /** Keys given out of band, when the EHR publishes no JWKS URL. */
    jwks: z.looseObject({ keys: z.array(z.looseObject({ kty: z.string() })).min(1) }).optional(),
    /** When set, the token's `tenant` claim must be one of these. */
    tenants: z.array(z.string().min(1)).min(1).optional(),
  })
  .refine((i) => i.jwksUrl || i.jku || i.jwks, 'needs jwksUrl, jku or jwks to verify its tokens');

export type IssuerConfig = z.infer<typeof IssuerSchema>;

const PROFILES = ['demo', 'production'] as const;
export type Profile = (typeof PROFILES)[number];

const Schema = z.object({
  BACKPAIN_PROFILE: z.enum(PROFILES),
  PORT: port.default(3000),
  HOST: z.string().min(1).default('127.0.0.1'),
  FHIR_PORT: port.default(8080),
  /**
   * The admin listener for /metrics, /status and /analytics*: unset, they are on PORT (demo); set
   * (production's default), they are served only here and never on the EHR-facing port.
   */
  ADMIN_PORT: port.optional(),
  ADMIN_HOST: z.string().min(1).default('127.0.0.1'),
  DEMO_FHIR: bool,
  DEMO_SYNTHEA: bool,
  SYNTHEA_ARCHIVE: z.string().default(resolve(projectRoot, '../shared/data/synthea-r4-sample.tar.xz')),
  FETCH_DEADLINE_MS: int(50, 30000).default(1500),
  CORS_ORIGINS: z.string().default('*'),
  BODY_LIMIT: z
    .string()
    .regex(/^\d+(kb|mb)$/, 'like 1mb or 500kb')
    .default('1mb'),
  LOG_LEVEL: z.enum(['error', 'warn', 'info', 'debug', 'silent']).default('info'),
  // Look-back windows count whole calendar days in this zone (design.md: Days and time zones).
  CLINICAL_TIMEZONE: z
    .string()
    .refine((zone) => {
      try {
        new Intl.DateTimeFormat('en-US', { timeZone: zone });
        return true;
      } catch {
        return false;
      }
    }, 'must be an IANA time zone name such as Europe/London or America/New_York')
    .default('UTC'),
  RULES_DIR: z.string().default(rulesDir),
  CARDS_DIR: z.string().default(cardsDir),
  // Trust: who may call (JWT) and which FHIR servers the service may call.
  PUBLIC_BASE_URL: httpUrl.transform((u) => u.replace(/\/+$/, '')).optional(),
  JWT_REQUIRED: bool,
  /** The only way to run the production profile without client authentication; named so no one sets it by accident. */
  UNSAFE_PRODUCTION_WITHOUT_JWT: bool.default(false),
  JWT_ISSUERS: json(z.array(IssuerSchema)).default([]),
  JWT_CLOCK_SKEW_SECONDS: int(0, 300).default(30),
  JWT_MAX_LIFETIME_SECONDS: int(60, 3600).default(3600),
  JWKS_CACHE_MAX_AGE_MS: int(1000, 86_400_000).default(600_000),
  JWKS_COOLDOWN_MS: int(0, 3_600_000).default(30_000),
  JWKS_TIMEOUT_MS: int(100, 30_000).default(2000),
  FHIR_SERVER_ALLOWLIST: list.optional(),
  FHIR_HTTPS_ONLY: bool,
  // Limits and operations.
  FHIR_MAX_CONCURRENT_FETCHES: int(1, 10_000).default(32),
  RATE_LIMIT_PER_MINUTE: int(0, 1_000_000).default(1200),
  AUTH_FAILURES_PER_MINUTE: int(0, 1_000_000).default(60),
  MAX_IN_FLIGHT: int(0, 100_000).default(256),
  /** p99 event-loop delay in each of 3 one-second windows past which requests are shed, with enough in flight; 0 = off. */
  MAX_EVENT_LOOP_LAG_MS: int(0, 60_000).default(500),
  /** How long a request body may take to arrive once its headers are in; 0 = no limit (Node's 5 minutes). */
  BODY_TIMEOUT_MS: int(0, 60_000).default(2000),
  /**
   * Open connections per client address; unset: 256 (MAX_IN_FLIGHT's default) without a trusted proxy,
   * off behind one (every connection is then the proxy's).
   */
  MAX_CONNECTIONS_PER_ADDRESS: int(0, 1_000_000).optional(),
  TRUST_PROXY: z
    .string()
    .regex(
      /^(true|false|\d+|((loopback|linklocal|uniquelocal|[0-9A-Fa-f:.]+(\/\d{1,3})?)\s*(,\s*|$))+)$/,
      'true, false, a hop count, or addresses/subnets like loopback,10.0.0.0/8',
    )
    .default('false'),
  SHUTDOWN_TIMEOUT_MS: int(0, 600_000).default(10_000),
  // Informatician tools; unset, they follow DEMO_FHIR, so a production configuration (DEMO_FHIR=false) has them off.
  EXPLAIN: bool.optional(),
  PREVIEW: bool.optional(),
  // Feedback store (docs/feedback.md): PostgreSQL when DATABASE_URL is set, else PGlite under DATA_DIR.
  DATABASE_URL: z.preprocess(
    (v) => (v === '' ? undefined : v),
    z
      .string()
      .regex(/^postgres(ql)?:\/\//, 'must start with postgres:// or postgresql://')
      .optional(),
  ),
  DATA_DIR: z.string().min(1).default(resolve(projectRoot, 'data')),
  FEEDBACK_STORE_COMMENTS: bool.default(false),
  FEEDBACK_HMAC_SECRET: z.preprocess((v) => (v === '' ? undefined : v), z.string().min(32, 'must be at least 32 characters').optional()),
  FEEDBACK_RETENTION_DAYS: z.coerce.number().int().min(0).default(730),
  // Tools only (`backpain-cds valueset expand`): the service never calls a terminology server.
  TERMINOLOGY_SERVER: httpUrl.transform((u) => u.replace(/\/+$/, '')).optional(),
});

type ParsedConfig = z.infer<typeof Schema>;
export type Config = Omit<ParsedConfig, 'FHIR_SERVER_ALLOWLIST' | 'EXPLAIN' | 'PREVIEW' | 'MAX_CONNECTIONS_PER_ADDRESS'> & {
  FHIR_SERVER_ALLOWLIST: string[];
  EXPLAIN: boolean;
  PREVIEW: boolean;
  MAX_CONNECTIONS_PER_ADDRESS: number;
};

/** What each profile turns on unless a setting says otherwise. */
const PROFILE_DEFAULTS: Record<Profile, Record<string, unknown>> = {
  demo: { JWT_REQUIRED: false, FHIR_HTTPS_ONLY: false, DEMO_FHIR: true, DEMO_SYNTHEA: true },
  production: {
    JWT_REQUIRED: true,
    FHIR_HTTPS_ONLY: true,
    DEMO_FHIR: false,
    DEMO_SYNTHEA: false,
    FHIR_SERVER_ALLOWLIST: [],
    ADMIN_PORT: 9464,
  },
};

/** Every setting name (environment variable or CONFIG_FILE key). */
export const SETTINGS: ReadonlySet<string> = new Set(Object.keys(Schema.shape));

export class ConfigError extends Error {}

function readConfigFile(path: string): Record<string, unknown> {
  let parsed: unknown;
  try {
    parsed = JSON.parse(readFileSync(path, 'utf8'));
  } catch (err) {
    throw new ConfigError(`Invalid configuration:\n  CONFIG_FILE: cannot read ${path} as JSON (${(err as Error).message})`);
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) {
    throw new ConfigError(`Invalid configuration:\n  CONFIG_FILE: ${path} must hold a JSON object of settings`);
  }
  const unknown = Object.keys(parsed).filter((k) => !SETTINGS.has(k));
  if (unknown.length) {
    throw new ConfigError(`Invalid configuration:\n  ${unknown.map((k) => `${k} (in CONFIG_FILE ${path}): unknown setting`).join('\n  ')}`);
  }
  return parsed as Record<string, unknown>;
}

/** Rules that involve more than one setting, or depend on the profile. */
function crossChecks(c: ParsedConfig, allowlist: string[]): string[] {
  const problems: string[] = [];
  const production = c.BACKPAIN_PROFILE === 'production';
  const https = (u: string): boolean => u.startsWith('https://');
  if (c.ADMIN_PORT !== undefined && c.ADMIN_PORT !== 0 && c.ADMIN_PORT === c.PORT)
    problems.push('ADMIN_PORT: must differ from PORT (the operational endpoints must not be on the EHR-facing port)');
  if (production && !c.JWT_REQUIRED && !c.UNSAFE_PRODUCTION_WITHOUT_JWT) {
    problems.push(
      'JWT_REQUIRED: false is refused in the production profile (anyone could call the services); ' +
        'set UNSAFE_PRODUCTION_WITHOUT_JWT=true only for a closed demo',
    );
  }
  if (c.JWT_REQUIRED && !c.PUBLIC_BASE_URL)
    problems.push('PUBLIC_BASE_URL: is required when JWT_REQUIRED is true (each JWT aud is checked against it)');
  if (c.JWT_REQUIRED && c.JWT_ISSUERS.length === 0)
    problems.push('JWT_ISSUERS: at least one trusted issuer is required when JWT_REQUIRED is true');
  const seen = new Set<string>();
  c.JWT_ISSUERS.forEach((issuer, i) => {
    if (seen.has(issuer.iss)) problems.push(`JWT_ISSUERS.${i}.iss: "${issuer.iss}" is listed twice`);
    seen.add(issuer.iss);
    if (production) {
      for (const url of [issuer.jwksUrl, ...(issuer.jku ?? [])]) {
        if (url && !https(url)) problems.push(`JWT_ISSUERS.${i}: ${url} must be https in the production profile`);
      }
    }
  });
  if (production && c.PUBLIC_BASE_URL && !https(c.PUBLIC_BASE_URL))
    problems.push('PUBLIC_BASE_URL: must be https in the production profile');
  allowlist.forEach((entry, i) => {
    const parsed = parseAllowlistEntry(entry);
    if (typeof parsed === 'string') problems.push(`FHIR_SERVER_ALLOWLIST.${i}: "${entry}" ${parsed}`);
    else if (c.FHIR_HTTPS_ONLY && parsed.protocol !== 'https:')
      problems.push(`FHIR_SERVER_ALLOWLIST.${i}: "${entry}" must be https while FHIR_HTTPS_ONLY is true`);
  });
  return problems;
}

export function loadConfig(env: Record<string, string | undefined> = process.env): Config {
  const file = env.CONFIG_FILE ? readConfigFile(env.CONFIG_FILE) : {};
  // An empty variable means unset, the way shells and compose files usually mean it.
  const fromEnv = Object.fromEntries(Object.entries(env).filter(([k, v]) => SETTINGS.has(k) && v !== undefined && v !== ''));
  const merged: Record<string, unknown> = { ...file, ...fromEnv };
  const profileValue = merged.BACKPAIN_PROFILE ?? (env.NODE_ENV === 'production' ? 'production' : 'demo');
  const profile = PROFILES.find((p) => p === profileValue);
  const input = { ...(profile ? PROFILE_DEFAULTS[profile] : {}), ...merged, BACKPAIN_PROFILE: profileValue };

  const result = Schema.safeParse(input);
  if (!result.success) {
    const lines = result.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`);
    throw new ConfigError(`Invalid configuration:\n  ${lines.join('\n  ')}`);
  }
  const parsed = result.data;
  // The demo answers for its own FHIR server only, wherever it was asked to listen.
  const allowlist =
    parsed.FHIR_SERVER_ALLOWLIST ??
    [...new Set(['127.0.0.1', 'localhost', parsed.HOST === '0.0.0.0' ? 'localhost' : parsed.HOST])].map(
      (h) => `http://${h}:${parsed.FHIR_PORT}/fhir`,
    );
  const problems = crossChecks(parsed, allowlist);
  if (problems.length) throw new ConfigError(`Invalid configuration:\n  ${problems.join('\n  ')}`);
  return {
    ...parsed,
    FHIR_SERVER_ALLOWLIST: allowlist,
    EXPLAIN: parsed.EXPLAIN ?? parsed.DEMO_FHIR,
    PREVIEW: parsed.PREVIEW ?? parsed.DEMO_FHIR,
    MAX_CONNECTIONS_PER_ADDRESS: parsed.MAX_CONNECTIONS_PER_ADDRESS ?? (trustProxy(parsed) === false ? 256 : 0),
  };
}

export function corsOrigins(config: Pick<Config, 'CORS_ORIGINS'>): string | string[] {
  return config.CORS_ORIGINS === '*'
    ? '*'
    : config.CORS_ORIGINS.split(',')
        .map((o) => o.trim())
        .filter(Boolean);
}

/** Express's `trust proxy`: false, true, a hop count, or a list of addresses and subnets. */
export function trustProxy(config: Pick<Config, 'TRUST_PROXY'>): boolean | number | string[] {
  const v = config.TRUST_PROXY.trim();
  if (v === 'false' || v === '') return false;
  if (v === 'true') return true;
  if (/^\d+$/.test(v)) return Number(v);
  return v
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean);
}
