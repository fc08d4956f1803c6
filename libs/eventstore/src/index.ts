export {
  createEventStore,
  EVENT_LOG_CHANNEL,
  DEFAULT_MAX_PAYLOAD_BYTES,
  DEFAULT_MAX_BATCH_EVENTS,
  DEFAULT_MAX_BATCH_READS,
  type EventStore,
  type EventStoreOptions,
  type ExpectedVersion,
  type NewEvent,
  type AppendMetadata,
  type EventMetadata,
  type RecordedEvent,
  type AppendListener,
  type AppendResult,
} from './event-store.js';
export {
  ConcurrencyError,
  ValidationError,
  EventLogUnavailableError,
  EVENT_LOG_UNAVAILABLE_MESSAGE,
  EVENT_STORE_ERROR_CODES,
  VALIDATION_REASONS,
  isConcurrencyError,
  isValidationError,
  isEventLogUnavailable,
  storeError,
  type ValidationReason,
} from './errors.js';
export { callStreamId, callIdOfStream, assertValidStreamId } from './stream-id.js';
export {
  callEventCodecs,
  callbackEventCodecs,
  codecsFromProtoModule,
  type EventCodec,
  type CodecRegistry,
} from './codecs.js';
export { loadCheckpoint, saveCheckpoint } from './checkpoints.js';
export { subscribeAll, type Subscription, type SubscribeAllOptions } from './subscription.js';
export {
  catchUpProjection,
  rebuildProjection,
  runProjection,
  type ProjectionRunner,
  type Projection,
  type ProjectionRunOptions,
} from './projection.js';
export {
  startRelay,
  RELAY_HEADERS,
  RELAY_CHECKPOINT_ID,
  RELAY_APPLICATION_NAME,
  RELAY_DEFAULTS,
  type Relay,
  type RelayOptions,
} from './relay.js';
export {
  CALL_CATEGORY,
  CALLBACK_CATEGORY,
  RELAY_CATEGORIES,
  categoryOfStream,
  eventSubjects,
  type RelayCategory,
} from './relay-subjects.js';
export { toEventEnvelope } from './envelope.js';
export { EventWatchers, decodedEventResponse, type Watch, type WatchStream } from './event-watchers.js';
