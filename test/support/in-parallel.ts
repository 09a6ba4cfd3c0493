import pLimit from 'p-limit';

/** Runs `task` on every item with at most `width` at a time, as a client's connection pool would; results keep the items' order. */
export function inParallel<T, R>(items: readonly T[], width: number, task: (item: T) => Promise<R>): Promise<R[]> {
  return pLimit(width).map(items, task);
}
