// The relay and the projection runner of libs/eventstore stop for good when their database connection
// fails (a PostgreSQL restart, a network cut). The orchestrator must outlive that: this starts one again
// after retryMs, for as long as it is not closed.
import type { Logger } from '@callctl/logging';

export interface Runner {
  close(): Promise<void>;
  /** undefined after close(), the error that stopped it otherwise. */
  closed(): Promise<void | Error>;
}

/** @default 1000 */
export const DEFAULT_RESTART_MS = 1000;

export function keepRunning(
  name: string,
  start: () => Runner,
  log: Logger,
  retryMs = DEFAULT_RESTART_MS,
): Runner {
  let closing = false;
  let current = start();
  let wake: (() => void) | undefined;
  const done = (async () => {
    for (;;) {
      const error = await current.closed();
      if (closing) return;
      log.error({ err: error, retryMs }, `${name} stopped; starting it again`);
      await new Promise<void>((resolve) => {
        wake = resolve;
        setTimeout(resolve, retryMs).unref();
      });
      if (closing) return;
      current = start();
    }
  })();
  return {
    close: async () => {
      closing = true;
      wake?.();
      await current.close();
      await done;
    },
    closed: () => done,
  };
}
