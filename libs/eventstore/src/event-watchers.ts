// A watch of the log over a gRPC server stream (CallControl.WatchEvents, Callback.WatchCallbackEvents): the
// events from a position, catch-up then live (subscribeAll), filtered by stream, at the client's pace, until
// the client cancels or the server stops. Typed by the little it needs of grpc-js's ServerWritableStream,
// so this package does not depend on gRPC.
import type { eventlog } from '@callctl/proto';
import type { CodecRegistry } from './codecs.js';
import { toEventEnvelope } from './envelope.js';
import type { RecordedEvent } from './event-store.js';
import type { Subscription } from './subscription.js';

/** What a watch writes to (grpc-js ServerWritableStream fits). */
export interface WatchStream<Response> {
  readonly cancelled: boolean;
  write(message: Response): boolean;
  end(): void;
  on(event: 'cancelled' | 'close' | 'error', listener: () => void): unknown;
  once(event: 'drain', listener: () => void): unknown;
}

export interface Watch<Response> {
  /** First global position to deliver (0 and 1: from the start). */
  fromPosition: number;
  /** Which events this watcher wants (a category, one aggregate's stream). */
  accepts(event: RecordedEvent): boolean;
  toResponse(event: RecordedEvent): Response;
}

/** `LegAnswered` -> `legAnswered`: the oneof case of a type named as its payload. */
const camelCaseOf = (type: string): string => type.charAt(0).toLowerCase() + type.slice(1);

/**
 * `LegAnswered` -> `{ envelope, event: { $case: 'legAnswered', legAnswered: <decoded> } }`: a watch
 * response (envelope, then the payload decoded into its oneof case, named by `caseOf`).
 */
export function decodedEventResponse<Response>(
  event: RecordedEvent,
  codecs: CodecRegistry,
  caseOf: (type: string) => string = camelCaseOf,
): Response {
  const codec = codecs.get(event.type);
  const name = caseOf(event.type);
  const response: { envelope: eventlog.EventEnvelope; event: unknown } = {
    envelope: toEventEnvelope(event, codecs),
    // A type this version does not know has no codec: the envelope still carries the encoded payload.
    event: codec ? { $case: name, [name]: codec.fromJSON(event.data) } : undefined,
  };
  return response as Response;
}

export class EventWatchers {
  private readonly open = new Set<Subscription>();

  constructor(private readonly subscribe: (afterPosition: number) => Subscription) {}

  async serve<Response>(call: WatchStream<Response>, watch: Watch<Response>): Promise<void> {
    const subscription = this.subscribe(Math.max(0, watch.fromPosition - 1));
    this.open.add(subscription);
    let gone!: () => void;
    const left = new Promise<void>((resolve) => (gone = resolve));
    const stop = () => {
      gone();
      void subscription.close();
    };
    call.on('cancelled', stop);
    call.on('close', stop);
    call.on('error', stop); // a write to a client that went away: stop reading the log for it
    try {
      for await (const event of subscription) {
        if (call.cancelled) break;
        if (!watch.accepts(event)) continue;
        // Respect the client's pace: wait for the socket to drain rather than buffer the whole log.
        if (!call.write(watch.toResponse(event)))
          await Promise.race([new Promise<void>((resolve) => call.once('drain', resolve)), left]);
      }
    } finally {
      this.open.delete(subscription);
      await subscription.close();
    }
    if (!call.cancelled) call.end();
  }

  /** Ends every stream (server shutdown). */
  async close(): Promise<void> {
    await Promise.all([...this.open].map((s) => s.close()));
  }
}
