import { type eventlog } from '@callctl/proto';
import type { CodecRegistry } from './codecs.js';
import type { RecordedEvent } from './event-store.js';

/** The wire form of a recorded event (WatchEvents items): payload protobuf-encoded. */
export function toEventEnvelope(event: RecordedEvent, codecs: CodecRegistry): eventlog.EventEnvelope {
  const codec = codecs.get(event.type);
  if (!codec) throw new Error(`no codec for event type ${event.type}`);
  return {
    eventId: event.eventId,
    streamId: event.streamId,
    streamVersion: event.streamVersion,
    globalPosition: event.globalPosition,
    type: event.type,
    payloadType: codec.protoName,
    payload: Buffer.from(codec.encode(codec.fromJSON(event.data)).finish()),
    metadata: {
      correlationId: event.metadata.correlationId ?? '',
      causationId: event.metadata.causationId ?? '',
      traceparent: event.metadata.traceparent ?? '',
      linkedTraceparent: event.metadata.linkedTraceparent ?? '',
    },
    recordedAt: event.metadata.recordedAt,
    schemaVersion: event.schemaVersion,
  };
}
