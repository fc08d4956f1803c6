// Keeps NATS KV matching the record: at start, every interval, and soon after a publish failed. One run
// at a time; a request during a run schedules one more after it.
import type { Logger } from '@callctl/logging';
import { reconcileModel } from './published-model.js';
import type { ModelPublisher, ProvisioningStore } from './ports.js';

/** After a failed publish, wait this long before trying (NATS may be coming back). */
export const RECONCILE_SOON_MS = 2000;

export interface Reconciler {
  /** Runs now and resolves when done (throws what the run threw). */
  run(): Promise<{ put: number; deleted: number }>;
  soon(): void;
  close(): Promise<void>;
}

export function startReconciler(o: {
  store: ProvisioningStore;
  publisher: ModelPublisher;
  intervalMs: number;
  log: Logger;
}): Reconciler {
  let running: Promise<{ put: number; deleted: number }> | undefined;
  let closed = false;
  let soonTimer: NodeJS.Timeout | undefined;
  const run = () => {
    running ??= reconcileModel(o.store, o.publisher)
      .then((outcome) => {
        if (outcome.put + outcome.deleted > 0) o.log.info(outcome, 'NATS KV reconciled to PostgreSQL');
        return outcome;
      })
      .finally(() => (running = undefined));
    return running;
  };
  const background = () => {
    if (closed) return;
    run().catch((error: unknown) => {
      o.log.warn({ err: error }, 'reconciling NATS KV failed; retrying');
      soon();
    });
  };
  const soon = () => {
    if (closed || soonTimer) return;
    soonTimer = setTimeout(() => {
      soonTimer = undefined;
      background();
    }, RECONCILE_SOON_MS);
    soonTimer.unref();
  };
  const interval = setInterval(background, o.intervalMs);
  interval.unref();
  return {
    run,
    soon,
    async close() {
      closed = true;
      clearInterval(interval);
      if (soonTimer) clearTimeout(soonTimer);
      await running?.catch(() => undefined);
    },
  };
}
