/**
 * Work to do once a response is over (sent, or its connection gone): the request log, metrics,
 * the in-flight count and the failed-login count all hang off one 'close' listener per response
 * instead of one listener each. Node emits 'close' on every ServerResponse, after 'finish' when it
 * was sent; `res.writableFinished` tells which.
 */
import type { ServerResponse } from 'node:http';

const DONE = Symbol('after-response');

type Tracked = ServerResponse & { [DONE]?: (() => void)[] };

export function afterResponse(res: ServerResponse, fn: () => void): void {
  const r = res as Tracked;
  const waiting = r[DONE];
  if (waiting) {
    waiting.push(fn);
    return;
  }
  const list = [fn];
  r[DONE] = list;
  res.once('close', () => {
    // In order of registration; one failing callback must not stop the others, nor take the process
    // down with every request in flight. It is a bug all the same, so it is reported (on stderr).
    for (const f of list) {
      try {
        f();
      } catch (err) {
        process.emitWarning(`after-response callback failed: ${err instanceof Error ? err.message : String(err)}`, 'AfterResponseWarning');
      }
    }
  });
}
