import type { Logger } from '@callctl/logging';

export interface ShutdownOptions {
  log: Logger;
  /** How long all closers together may take before the process exits anyway. @default 10000 */
  drainMs?: number;
  /** Signals that start the shutdown. @default ['SIGTERM', 'SIGINT'] */
  signals?: readonly NodeJS.Signals[];
  /** Called when everything is closed, or the drain ran out; the default exits the process. */
  exit?: (code: number) => void;
}

type Closer = { name: string; close: () => Promise<void> | void };

/** How a drain ended: every closer done, one failed (the others still ran), or drainMs ran out. */
export type DrainOutcome = 'ok' | 'failed' | 'timeout';

/**
 * Graceful shutdown: resources register a closer as they start, and on SIGTERM/SIGINT the closers run in
 * reverse order (servers stop accepting before the connections they use are closed), bounded by drainMs.
 */
export class Shutdown {
  private readonly closers: Closer[] = [];
  private draining: Promise<DrainOutcome> | undefined;
  private running: Promise<void> | undefined;
  private readonly drainMs: number;
  private readonly exit: (code: number) => void;
  private readonly listeners: Array<[NodeJS.Signals, () => void]> = [];

  constructor(private readonly options: ShutdownOptions) {
    this.drainMs = options.drainMs ?? 10_000;
    this.exit = options.exit ?? ((code) => process.exit(code));
    for (const signal of options.signals ?? ['SIGTERM', 'SIGINT']) {
      const listener = () => {
        options.log.info({ signal }, 'shutting down');
        void this.run();
      };
      process.once(signal, listener);
      this.listeners.push([signal, listener]);
    }
  }

  /**
   * Registers a closer; closers run last-registered first. One registered once the drain has begun (a
   * start still under way when a signal came) is closed at once, so nothing it holds outlives the drain.
   */
  add(name: string, close: () => Promise<void> | void): void {
    if (this.draining) {
      void Promise.resolve()
        .then(close)
        .catch((error: unknown) => this.options.log.error({ resource: name, err: error }, 'close failed'));
      return;
    }
    this.closers.push({ name, close });
  }

  /** Runs every closer once, then exits; later calls return the same promise. */
  run(): Promise<void> {
    this.running ??= this.drain().then((outcome) => {
      const { log } = this.options;
      if (outcome === 'timeout') log.warn({ drainMs: this.drainMs }, 'drain timed out; exiting anyway');
      else log.info('stopped');
      this.exit(outcome === 'ok' ? 0 : 1);
    });
    return this.running;
  }

  /**
   * Runs every closer once, in reverse order, without exiting: undoes a start that failed halfway. The
   * signal handlers go too, since there is nothing left for them to stop.
   */
  drain(): Promise<DrainOutcome> {
    for (const [signal, listener] of this.listeners.splice(0)) process.removeListener(signal, listener);
    this.draining ??= this.closeAll();
    return this.draining;
  }

  private async closeAll(): Promise<DrainOutcome> {
    const { log } = this.options;
    let timer: NodeJS.Timeout | undefined;
    const deadline = new Promise<'timeout'>((resolve) => {
      timer = setTimeout(() => resolve('timeout'), this.drainMs);
      timer.unref();
    });
    const closeAll = (async () => {
      let failed = false;
      for (const closer of this.closers.reverse()) {
        try {
          await closer.close();
          log.debug({ resource: closer.name }, 'closed');
        } catch (error) {
          failed = true;
          log.error({ resource: closer.name, err: error }, 'close failed');
        }
      }
      return failed ? ('failed' as const) : ('ok' as const);
    })();
    const outcome = await Promise.race([closeAll, deadline]);
    clearTimeout(timer);
    return outcome;
  }
}
