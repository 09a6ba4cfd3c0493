/**
 * Waits for something that happens on its own time (a retry timer, a file watcher, a child
 * process): polls until the condition holds. The bound is there only so a broken build fails
 * instead of hanging; it is far above anything a busy machine needs, so it asserts nothing about speed.
 */
export async function eventually(condition: () => boolean | Promise<boolean>, what = 'the condition', limitMs = 15_000): Promise<void> {
  const until = Date.now() + limitMs;
  while (!(await condition())) {
    if (Date.now() > until) throw new Error(`${what} did not hold within ${limitMs} ms`);
    await new Promise((r) => setTimeout(r, 10));
  }
}
