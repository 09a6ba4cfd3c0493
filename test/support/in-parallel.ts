/** Runs `task` on every item with at most `width` at a time, as a client's connection pool would; results keep the items' order. */
export async function inParallel<T, R>(items: readonly T[], width: number, task: (item: T) => Promise<R>): Promise<R[]> {
  const results: R[] = new Array(items.length);
  let next = 0;
  await Promise.all(
    Array.from({ length: Math.min(width, items.length) }, async () => {
      for (let i = next++; i < items.length; i = next++) results[i] = await task(items[i] as T);
    }),
  );
  return results;
}
