/**
 * The part of this process's environment that a child service process must share with it even
 * when it is otherwise started with a clean environment (as an image starts it): PATH, and a wall
 * clock moved with libfaketime (`TEST_CLOCK_OFFSET` in `npm test`), so tokens minted here and
 * checked there agree on the time.
 */
/** The variables through which libfaketime moves a process's wall clock. */
export const MOVED_CLOCK_VARIABLES: readonly string[] = ['LD_PRELOAD', 'FAKETIME', 'FAKETIME_DONT_FAKE_MONOTONIC'];
const SHARED = ['PATH', ...MOVED_CLOCK_VARIABLES];

export function childEnv(): Record<string, string> {
  const out: Record<string, string> = {};
  for (const name of SHARED) {
    const value = process.env[name];
    if (value !== undefined) out[name] = value;
  }
  return out;
}
