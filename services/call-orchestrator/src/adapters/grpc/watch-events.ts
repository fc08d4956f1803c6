// WatchEvents: the log from a position, catch-up then live (libs/eventstore EventWatchers), optionally one
// call's events only, until the client cancels or the server stops.
import type { ServerWritableStream } from '@grpc/grpc-js';
import {
  callIdOfStream,
  decodedEventResponse,
  EventWatchers as LogWatchers,
  type CodecRegistry,
  type RecordedEvent,
  type Subscription,
} from '@callctl/eventstore';
import type { callControl } from '@callctl/proto';

type Stream = ServerWritableStream<callControl.WatchEventsRequest, callControl.WatchEventsResponse>;

export const watchResponse = (event: RecordedEvent, codecs: CodecRegistry): callControl.WatchEventsResponse =>
  decodedEventResponse(event, codecs);

export class EventWatchers {
  private readonly watchers: LogWatchers;

  constructor(
    subscribe: (afterPosition: number) => Subscription,
    private readonly codecs: CodecRegistry,
  ) {
    this.watchers = new LogWatchers(subscribe);
  }

  serve(call: Stream): Promise<void> {
    const { fromPosition, callId } = call.request;
    return this.watchers.serve(call, {
      fromPosition,
      accepts: (event) => !callId || callIdOfStream(event.streamId) === callId,
      toResponse: (event) => watchResponse(event, this.codecs),
    });
  }

  /** Ends every stream (server shutdown). */
  close(): Promise<void> {
    return this.watchers.close();
  }
}
