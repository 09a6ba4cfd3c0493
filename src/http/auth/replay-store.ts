/**
 * JWT ids already used. A token may be used once: `claim` answers true the first time an (iss, jti)
 * pair is seen and false after that, until the token has expired (then it is refused as expired
 * anyway, so the pair can be forgotten).
 *
 * Replicas behind a load balancer must share one store, or a token replayed to another replica
 * passes: that store is DatabaseReplayStore (database-replay-store.ts says how it claims and purges).
 */
export interface ReplayStore {
  claim(jti: string, iss: string, expiresAt: Date): Promise<boolean>;
}

/** One process's memory: right for one replica and for tests. */
export class MemoryReplayStore implements ReplayStore {
  private readonly seen = new Map<string, number>();
  private nextSweep = 0;

  constructor(private readonly clock: () => number = Date.now) {}

  claim(jti: string, iss: string, expiresAt: Date): Promise<boolean> {
    const now = this.clock();
    this.sweep(now);
    // iss is an allowlisted value without NUL, so the first NUL splits the pair unambiguously.
    const key = `${iss}\u0000${jti}`;
    const expires = this.seen.get(key);
    if (expires !== undefined && expires > now) return Promise.resolve(false);
    this.seen.set(key, expiresAt.getTime());
    return Promise.resolve(true);
  }

  get size(): number {
    return this.seen.size;
  }

  /** At most once a minute, drop every expired entry, so memory follows the live tokens only. */
  private sweep(now: number): void {
    if (now < this.nextSweep) return;
    this.nextSweep = now + 60_000;
    for (const [key, expires] of this.seen) if (expires <= now) this.seen.delete(key);
  }
}
