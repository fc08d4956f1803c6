// Concurrent requests for the same key share one piece of work. Each caller waits under its own signal;
// the work itself is aborted only when every caller waiting for it has given up.

interface Flight<V> {
  result: Promise<V>;
  waiting: number;
  controller: AbortController;
}

export class SingleFlight<V> {
  private readonly flights = new Map<string, Flight<V>>();

  /** How many keys have work under way. */
  get size(): number {
    return this.flights.size;
  }

  /**
   * The result of the work under way for `key`, or of `work` started now. Rejects with `signal`'s reason
   * when the caller gives up first.
   */
  run(key: string, signal: AbortSignal, work: (signal: AbortSignal) => Promise<V>): Promise<V> {
    let flight = this.flights.get(key);
    if (!flight) {
      const controller = new AbortController();
      const started: Flight<V> = {
        controller,
        waiting: 0,
        result: Promise.resolve()
          .then(() => work(controller.signal))
          .finally(() => {
            if (this.flights.get(key) === started) this.flights.delete(key);
          }),
      };
      // The shared result may reject after every caller left; that is not an unhandled rejection.
      started.result.catch(() => undefined);
      this.flights.set(key, started);
      flight = started;
    }
    return this.wait(key, flight, signal);
  }

  private wait(key: string, flight: Flight<V>, signal: AbortSignal): Promise<V> {
    if (signal.aborted) return Promise.reject(signal.reason);
    flight.waiting++;
    return new Promise<V>((resolve, reject) => {
      const leave = () => {
        signal.removeEventListener('abort', onAbort);
        flight.waiting--;
      };
      const onAbort = () => {
        leave();
        if (flight.waiting === 0) {
          if (this.flights.get(key) === flight) this.flights.delete(key);
          flight.controller.abort(signal.reason);
        }
        reject(signal.reason);
      };
      signal.addEventListener('abort', onAbort);
      flight.result.then(
        (value) => {
          leave();
          resolve(value);
        },
        (error: unknown) => {
          leave();
          reject(error);
        },
      );
    });
  }
}
