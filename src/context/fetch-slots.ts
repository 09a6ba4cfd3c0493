/**
 * A cap on FHIR reads in flight across the whole process, so a burst of requests cannot open
 * hundreds of connections to an EHR's FHIR server. A read waits for a free slot, first come first
 * served, and gives up when its request's deadline passes (the request then fails in time, as PatientDataUnavailable).
 * Not p-limit: it has no per-call AbortSignal, so a read whose deadline passed would keep its place
 * in the queue (and in the waiting gauge) until its turn came; clearQueue() drops every waiter.
 */
export interface FetchSlots {
  /** Runs `task` once a slot is free; rejects with the signal's reason if it aborts while waiting. */
  run<T>(task: () => Promise<T>, signal: AbortSignal): Promise<T>;
  readonly active: number;
  readonly waiting: number;
}

export function createFetchSlots(max: number, onQueueChange?: (waiting: number) => void): FetchSlots {
  let active = 0;
  const queue: (() => void)[] = [];

  const release = (): void => {
    active--;
    const next = queue.shift();
    onQueueChange?.(queue.length);
    if (next) {
      active++;
      next();
    }
  };

  const acquire = (signal: AbortSignal): Promise<void> => {
    if (signal.aborted) return Promise.reject(signal.reason as Error);
    if (active < max) {
      active++;
      return Promise.resolve();
    }
    return new Promise<void>((resolve, reject) => {
      const grant = (): void => {
        signal.removeEventListener('abort', abort);
        resolve();
      };
      const abort = (): void => {
        const at = queue.indexOf(grant);
        if (at >= 0) queue.splice(at, 1);
        onQueueChange?.(queue.length);
        reject(signal.reason as Error);
      };
      signal.addEventListener('abort', abort, { once: true });
      queue.push(grant);
      onQueueChange?.(queue.length);
    });
  };

  return {
    async run(task, signal) {
      await acquire(signal);
      try {
        return await task();
      } finally {
        release();
      }
    },
    get active() {
      return active;
    },
    get waiting() {
      return queue.length;
    },
  };
}
