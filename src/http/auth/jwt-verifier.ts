/**
 * CDS Hooks client trust (reference/cds-hooks.md section 8): a bearer JWT signed with an asymmetric
 * key of an allowlisted issuer, for exactly the endpoint called, short-lived and used once.
 *
 * Order matters for safety: everything that can be decided without a network call (shape, alg,
 * issuer, jku) is decided first, so an untrusted token never makes the service fetch anything, and
 * the jti is claimed only after the signature holds, so a forged token cannot burn a real one's jti.
 */
import {
  createLocalJWKSet,
  createRemoteJWKSet,
  decodeJwt,
  decodeProtectedHeader,
  errors,
  jwtVerify,
  type JWTPayload,
  type JWTVerifyGetKey,
  type ProtectedHeaderParameters,
} from 'jose';
import type { IssuerConfig } from '../../config.js';
import type { ReplayStore } from './replay-store.js';

/** Asymmetric only: `none` and HS* are refused by the spec (a public key would work as an HMAC secret). */
export const ALLOWED_ALGORITHMS = ['ES256', 'ES384', 'ES512', 'RS256', 'RS384', 'RS512', 'PS256', 'PS384', 'PS512'] as const;

export type AuthFailure =
  | 'missing'
  | 'malformed'
  | 'alg-not-allowed'
  | 'no-kid'
  | 'unknown-iss'
  | 'jku-not-allowed'
  | 'no-key-source'
  | 'unknown-kid'
  | 'bad-signature'
  | 'expired'
  | 'not-yet-valid'
  | 'wrong-aud'
  | 'lifetime-too-long'
  | 'bad-claims'
  | 'tenant-not-allowed'
  | 'replayed'
  | 'jwks-unavailable';

/** What may be logged about a token: never the token itself. */
export interface TokenIds {
  iss?: string;
  kid?: string;
  jti?: string;
  tenant?: string;
}

export class AuthError extends Error {
  constructor(
    readonly reason: AuthFailure,
    readonly ids: TokenIds = {},
  ) {
    super(reason);
    this.name = 'AuthError';
  }
}

export interface VerifiedCaller {
  iss: string;
  kid: string;
  jti: string;
  tenant?: string;
}

export interface JwtVerifierOptions {
  issuers: readonly IssuerConfig[];
  replayStore: ReplayStore;
  clockSkewSeconds: number;
  maxLifetimeSeconds: number;
  jwks: { cacheMaxAgeMs: number; cooldownMs: number; timeoutMs: number };
  now?: () => Date;
}

export interface JwtVerifier {
  /** The caller, or an AuthError saying why not. `audience` is the public URL of the endpoint called. */
  verify(token: string, audience: string): Promise<VerifiedCaller>;
}

const COMPACT_JWS = /^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]*$/;
const MAX_TOKEN_LENGTH = 16_384;
/**
 * A jti is stored (replay protection): control characters (PostgreSQL refuses NUL in text) and lone
 * surrogates (not encodable as UTF-8) would fail there as a store error, 503, instead of a refused token.
 * Refused: U+0000–U+001F, U+007F and lone surrogates (\p{Cs} under the u flag, which pairs surrogates);
 * \p{Cc} also covers the C1 controls U+0080–U+009F, which the store takes, so they are let back in.
 */
const PLAIN_TEXT = /^(?:[^\p{Cc}\p{Cs}]|[\x80-\x9f])+$/u;

/** Values from an unverified token go to the log, so keep them short and plain. */
const loggable = (v: unknown): string | undefined => (typeof v === 'string' ? v.slice(0, 200) : undefined);

function fromJose(err: unknown, ids: TokenIds): AuthError {
  if (!(err instanceof errors.JOSEError)) return new AuthError('jwks-unavailable', ids); // fetch failed
  const claim = err instanceof errors.JWTClaimValidationFailed || err instanceof errors.JWTExpired ? err.claim : undefined;
  switch (err.code) {
    case 'ERR_JWT_EXPIRED':
      return new AuthError('expired', ids);
    case 'ERR_JWT_CLAIM_VALIDATION_FAILED':
      if (claim === 'aud') return new AuthError('wrong-aud', ids);
      if (claim === 'nbf' || claim === 'iat') return new AuthError('not-yet-valid', ids);
      return new AuthError('bad-claims', ids);
    case 'ERR_JOSE_ALG_NOT_ALLOWED':
      return new AuthError('alg-not-allowed', ids);
    case 'ERR_JWKS_NO_MATCHING_KEY':
    case 'ERR_JWKS_MULTIPLE_MATCHING_KEYS':
      return new AuthError('unknown-kid', ids);
    case 'ERR_JWS_SIGNATURE_VERIFICATION_FAILED':
      return new AuthError('bad-signature', ids);
    case 'ERR_JWKS_TIMEOUT':
    case 'ERR_JWKS_INVALID':
    case 'ERR_JOSE_GENERIC':
      return new AuthError('jwks-unavailable', ids);
    default:
      return new AuthError('malformed', ids);
  }
}

export function createJwtVerifier(options: JwtVerifierOptions): JwtVerifier {
  const now = options.now ?? (() => new Date());
  const byIss = new Map(options.issuers.map((i) => [i.iss, i]));
  const remote = new Map<string, JWTVerifyGetKey>();
  const local = new Map<string, JWTVerifyGetKey>();

  // One cached key set per URL: refetched when a kid is unknown, at most once per cooldown.
  const remoteSet = (url: string): JWTVerifyGetKey => {
    let set = remote.get(url);
    if (!set) {
      set = createRemoteJWKSet(new URL(url), {
        cacheMaxAge: options.jwks.cacheMaxAgeMs,
        cooldownDuration: options.jwks.cooldownMs,
        timeoutDuration: options.jwks.timeoutMs,
      });
      remote.set(url, set);
    }
    return set;
  };

  const localSet = (iss: string, jwks: NonNullable<IssuerConfig['jwks']>): JWTVerifyGetKey => {
    let set = local.get(iss);
    if (!set) {
      set = createLocalJWKSet(jwks);
      local.set(iss, set);
    }
    return set;
  };

  const keySource = (issuer: IssuerConfig, header: ProtectedHeaderParameters, ids: TokenIds): JWTVerifyGetKey => {
    // Keys configured for the issuer that hold the token's kid are used whatever jku says, and nothing
    // is fetched: real clients (the CDS Hooks Sandbox) always send a jku, even where keys are exchanged out of band.
    if (issuer.jwks?.keys.some((k) => k.kid === header.kid)) return localSet(issuer.iss, issuer.jwks);
    if (header.jku !== undefined) {
      // Never fetch a URL the token chose unless the operator configured it: that would be SSRF.
      if (typeof header.jku !== 'string' || !(issuer.jku?.includes(header.jku) || header.jku === issuer.jwksUrl))
        throw new AuthError('jku-not-allowed', ids);
      return remoteSet(header.jku);
    }
    if (issuer.jwks) return localSet(issuer.iss, issuer.jwks);
    if (issuer.jwksUrl) return remoteSet(issuer.jwksUrl);
    throw new AuthError('no-key-source', ids);
  };

  return {
    async verify(token, audience) {
      if (token.length > MAX_TOKEN_LENGTH || !COMPACT_JWS.test(token)) throw new AuthError('malformed');
      let header: ProtectedHeaderParameters;
      let unverified: JWTPayload;
      try {
        header = decodeProtectedHeader(token);
        unverified = decodeJwt(token);
      } catch {
        throw new AuthError('malformed');
      }
      const ids: TokenIds = { iss: loggable(unverified.iss), kid: loggable(header.kid), jti: loggable(unverified.jti) };
      if (typeof header.alg !== 'string' || !(ALLOWED_ALGORITHMS as readonly string[]).includes(header.alg))
        throw new AuthError('alg-not-allowed', ids);
      if (header.typ !== undefined && (typeof header.typ !== 'string' || header.typ.toUpperCase() !== 'JWT'))
        throw new AuthError('malformed', ids);
      if (typeof header.kid !== 'string' || header.kid.length === 0) throw new AuthError('no-kid', ids);
      const issuer = typeof unverified.iss === 'string' ? byIss.get(unverified.iss) : undefined;
      if (!issuer) throw new AuthError('unknown-iss', ids);

      const keys = keySource(issuer, header, ids);
      let payload: JWTPayload;
      try {
        ({ payload } = await jwtVerify(token, keys, {
          algorithms: [...ALLOWED_ALGORITHMS],
          issuer: issuer.iss,
          audience,
          clockTolerance: options.clockSkewSeconds,
          maxTokenAge: options.maxLifetimeSeconds,
          requiredClaims: ['exp', 'iat', 'jti'],
          currentDate: now(),
        }));
      } catch (err) {
        throw fromJose(err, ids);
      }

      const { exp, iat, jti, tenant } = payload as JWTPayload & { tenant?: unknown };
      if (typeof exp !== 'number' || typeof iat !== 'number' || exp - iat > options.maxLifetimeSeconds)
        throw new AuthError('lifetime-too-long', ids);
      if (typeof jti !== 'string' || jti.length === 0 || jti.length > 256 || !PLAIN_TEXT.test(jti)) throw new AuthError('bad-claims', ids);
      if (tenant !== undefined && typeof tenant !== 'string') throw new AuthError('bad-claims', ids);
      const verifiedIds = { ...ids, ...(typeof tenant === 'string' ? { tenant: loggable(tenant) } : {}) };
      if (issuer.tenants && (typeof tenant !== 'string' || !issuer.tenants.includes(tenant)))
        throw new AuthError('tenant-not-allowed', verifiedIds);
      // Kept until the token expires (plus the skew it is allowed), after which it fails as expired.
      if (!(await options.replayStore.claim(jti, issuer.iss, new Date((exp + options.clockSkewSeconds) * 1000)))) {
        throw new AuthError('replayed', verifiedIds);
      }
      return { iss: issuer.iss, kid: header.kid, jti, ...(typeof tenant === 'string' ? { tenant } : {}) };
    },
  };
}
