// Keeps a projection caught up on a fixed period instead of on every append. libs/eventstore's
// runProjection wakes on each append's NOTIFY, and each wake is a transaction of about eight round trips
// and a commit: at 50 calls/s (some 250 appends/s) that was the orchestrator's largest share of database
// work. ListCalls may lag by one period; nothing else reads the active-calls table on the hot path.
import type pg from 'pg';
import { catchUpProjection, type EventStore, type Projection } from '@callctl/eventstore';
import type { Runner } from './keep-running.js';

/** @default 250 */
export const DEFAULT_PROJECTION_PERIOD_MS = 250;

export function runProjectionEvery(
  projection: Projection,
  options: { pool: pg.Pool; store: EventStore; periodMs?: number },
): Runner {
  const periodMs = options.periodMs ?? DEFAULT_PROJECTION_PERIOD_MS;
  let stopped = false;
  let wake: (() => void) | undefined;
  const closed: Promise<void | Error> = (async () => {
    while (!stopped) {
      await catchUpProjection(projection, options);
      await new Promise<void>((resolve) => {
        wake = resolve;
        setTimeout(resolve, periodMs).unref();
      });
    }
  })().then(
    () => undefined,
    (error: unknown) => error as Error,
  );
  return {
    close: async () => {
      stopped = true;
      wake?.();
      await closed;
    },
    closed: () => closed,
  };
}
