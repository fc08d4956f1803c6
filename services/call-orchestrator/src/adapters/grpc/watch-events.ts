// WatchEvents: the log from a position, catch-up then live (libs/eventstore subscribeAll), optionally one
// call's events only, until the client cancels or the server stops.
import type { ServerWritableStream } from '@grpc/grpc-js';
import {
  callIdOfStream,
  toEventEnvelope,
  type CodecRegistry,
  type RecordedEvent,
  type Subscription,
} from '@callctl/eventstore';
import type { callControl } from '@callctl/proto';

type Stream = ServerWritableStream<callControl.WatchEventsRequest, callControl.WatchEventsResponse>;

/** `LegAnswered` -> `legAnswered`: the oneof case of WatchEventsResponse.event for a payload type. */
const caseOf = (type: string) => type.charAt(0).toLowerCase() + type.slice(1);

export function watchResponse(event: RecordedEvent, codecs: CodecRegistry): callControl.WatchEventsResponse {
  const codec = codecs.get(event.type);
  const name = caseOf(event.type);
  return {
    envelope: toEventEnvelope(event, codecs),
    // A type this version does not know has no codec: the envelope still carries the encoded payload.
    event: codec
      ? ({ $case: name, [name]: codec.fromJSON(event.data) } as callControl.WatchEventsResponse['event'])
      : undefined,
  };
}

export class EventWatchers {
  private readonly open = new Set<Subscription>();

  constructor(
    private readonly subscribe: (afterPosition: number) => Subscription,
    private readonly codecs: CodecRegistry,
  ) {}

  async serve(call: Stream): Promise<void> {
    const { fromPosition, callId } = call.request;
    const subscription = this.subscribe(Math.max(0, fromPosition - 1));
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
        if (callId && callIdOfStream(event.streamId) !== callId) continue;
        // Respect the client's pace: wait for the socket to drain rather than buffer the whole log.
        if (!call.write(watchResponse(event, this.codecs)))
          await Promise.race([new Promise((resolve) => call.once('drain', resolve)), left]);
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
