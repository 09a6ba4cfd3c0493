/**
 * Records every card the service returns without ever slowing or failing the hook response: the
 * service call hands the cards over synchronously, they wait in a bounded queue, and a background
 * writer stores them in batches. When the store is down the writer retries with back-off while the
 * queue holds. Nothing an EHR was shown may go unrecorded, so the service call asks `accepts` before
 * it answers and answers 503 instead of cards the queue could not take (back-pressure); a drop here
 * is then only a bug or a card recorded after close. Failures and drops are logged and counted.
 */
import type { Card } from '../cards/types.js';
import type { Logger } from '../log.js';
import type { CardLogRow } from './store.js';
import { metrics } from '../metrics.js';

export interface CardLogOptions {
  write(rows: CardLogRow[]): Promise<void>;
  hashHookInstance(hookInstance: string): string;
  logger: Logger;
  /** Most cards waiting at once; beyond it new cards are dropped (and counted). */
  capacity?: number;
  batchSize?: number;
  /** How long a card may wait for companions before a partial batch is written. */
  flushDelayMs?: number;
  /** First retry after a failed write; doubles each time up to maxRetryDelayMs. */
  retryDelayMs?: number;
  maxRetryDelayMs?: number;
  clock?: () => Date;
}

export interface CardLogStats {
  /** Cards waiting to be written. */
  queued: number;
  written: number;
  /** Cards never stored: the queue was full, or they were still queued when the service stopped. */
  dropped: number;
  /** Batch writes that failed (each is retried). */
  writeFailures: number;
}

/** The service call's hook: every card response, after it is sent. */
export type OnCards = (
  serviceId: string,
  hookInstance: string,
  cards: readonly Card[],
  rulesVersion: string,
  silentCards?: readonly Card[],
) => void;

/** Logs about drops at most this often, so an outage does not flood the log. */
const DROP_LOG_INTERVAL_MS = 10_000;

export class CardLog {
  private readonly queue: CardLogRow[] = [];
  private readonly capacity: number;
  private readonly batchSize: number;
  private readonly flushDelayMs: number;
  private readonly retryDelayMs: number;
  private readonly maxRetryDelayMs: number;
  private readonly clock: () => Date;
  private timer: NodeJS.Timeout | undefined;
  private running: Promise<void> | undefined;
  private failuresInARow = 0;
  private closed = false;
  private lastDropLog = 0;
  private readonly counts = { written: 0, dropped: 0, writeFailures: 0 };

  constructor(private readonly options: CardLogOptions) {
    this.capacity = options.capacity ?? 10_000;
    this.batchSize = options.batchSize ?? 500;
    this.flushDelayMs = options.flushDelayMs ?? 100;
    this.retryDelayMs = options.retryDelayMs ?? 1000;
    this.maxRetryDelayMs = options.maxRetryDelayMs ?? 30_000;
    this.clock = options.clock ?? (() => new Date());
  }

  /** Whether `cards` more cards would be queued now; asked before the answer is sent (same tick as `record`). */
  readonly accepts = (cards: number): boolean => !this.closed && this.queue.length + cards <= this.capacity;

  /** Never throws and never waits: the hook response must not depend on the log. */
  readonly record: OnCards = (serviceId, hookInstance, cards, rulesVersion, silentCards = []) => {
    const total = cards.length + silentCards.length;
    if (total === 0) return;
    try {
      if (this.closed || this.queue.length + total > this.capacity) {
        this.drop(total, this.closed ? 'the card log is closed' : 'the card log queue is full');
        return;
      }
      const issuedAt = this.clock();
      const hookInstanceHash = this.options.hashHookInstance(hookInstance);
      const all = [...cards.map((card) => ({ card, silent: false })), ...silentCards.map((card) => ({ card, silent: true }))];
      for (const { card, silent } of all) {
        this.queue.push({
          cardUuid: card.uuid,
          serviceId,
          ruleId: card.source.topic?.code ?? 'unknown',
          rulesVersion,
          hookInstanceHash,
          suggestionUuids: (card.suggestions ?? []).map((s) => s.uuid),
          issuedAt,
          silent,
        });
      }
      this.schedule(this.queue.length >= this.batchSize ? 0 : this.flushDelayMs);
    } catch (err) {
      this.drop(total, `cards could not be queued: ${(err as Error).message}`);
    }
  };

  stats(): CardLogStats {
    return { queued: this.queue.length, ...this.counts };
  }

  /** Writes everything queued now; rejects if the store will not take it (the cards stay queued). */
  async flush(): Promise<void> {
    this.cancelTimer();
    while (this.running) await this.running;
    this.cancelTimer();
    if (this.queue.length === 0) return;
    await this.run();
    if (this.queue.length > 0) throw new Error(`${this.queue.length} cards could not be written to the card log`);
  }

  /** Stops taking cards and makes one last attempt to write what is queued. */
  async close(): Promise<void> {
    this.closed = true;
    try {
      await this.flush();
    } catch {
      const lost = this.queue.splice(0).length;
      this.counts.dropped += lost;
      metrics.storeErrors.inc({ store: 'feedback', operation: 'card-log-lost' }, lost);
      this.options.logger.error('card log: cards lost at shutdown', { cards: lost });
    }
  }

  private drop(cards: number, reason: string): void {
    this.counts.dropped += cards;
    const now = Date.now();
    if (now - this.lastDropLog >= DROP_LOG_INTERVAL_MS) {
      this.lastDropLog = now;
      metrics.storeErrors.inc({ store: 'feedback', operation: 'card-log-dropped' }, cards);
      this.options.logger.warn('card log: cards dropped', { reason, cards, droppedSoFar: this.counts.dropped });
    }
  }

  private cancelTimer(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
  }

  private schedule(delayMs: number): void {
    if (this.running || this.timer || this.closed) return;
    this.timer = setTimeout(() => {
      this.timer = undefined;
      void this.run();
    }, delayMs);
    this.timer.unref();
  }

  private backoff(): number {
    return Math.min(this.maxRetryDelayMs, this.retryDelayMs * 2 ** (this.failuresInARow - 1));
  }

  /** One pass over the queue, batch by batch, stopping at the first failure (then a retry is scheduled). Never rejects. */
  private run(): Promise<void> {
    this.running = (async () => {
      while (this.queue.length > 0) {
        const batch = this.queue.slice(0, this.batchSize);
        try {
          await this.options.write(batch);
        } catch (err) {
          this.failuresInARow += 1;
          this.counts.writeFailures += 1;
          const e = err as Error & { code?: string };
          metrics.storeErrors.inc({ store: 'feedback', operation: 'card-log-write' });
          this.options.logger.error('card log: write failed, will retry', {
            error: e.name,
            ...(e.code ? { code: e.code } : {}),
            message: e.message,
            queued: this.queue.length,
            retryInMs: this.backoff(),
          });
          return;
        }
        this.queue.splice(0, batch.length);
        this.counts.written += batch.length;
        this.failuresInARow = 0;
      }
    })().finally(() => {
      this.running = undefined;
      if (this.queue.length > 0) this.schedule(this.failuresInARow > 0 ? this.backoff() : 0);
    });
    return this.running;
  }
}
