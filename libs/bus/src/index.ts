export { connectBus, type BusConnectOptions, type BusSecurity, type NatsConnection } from './connection.js';
export {
  CALL_EVENTS_STREAM,
  CALL_EVENTS_SUBJECTS,
  CALL_EVENTS_JSON_PREFIX,
  callEventSubject,
  callEventJsonSubject,
  callEventsOfCall,
  CALLBACK_EVENTS_STREAM,
  CALLBACK_EVENTS_SUBJECTS,
  CALLBACK_EVENTS_JSON_PREFIX,
  callbackEventSubject,
  callbackEventsOf,
  eventSubjectToken,
  FACTS_STREAM,
  FACTS_SUBJECTS,
  sipFactSubject,
  mediaFactSubject,
  recordingFactSubject,
  streamFactSubject,
  SIP_EDGE_LEGS_STREAM,
  SIP_EDGE_LEGS_SUBJECTS,
  sipEdgeLegSubject,
  sipEdgeLegsOf,
  MEDIA_WORKER_STATE_STREAM,
  MEDIA_WORKER_STATE_SUBJECTS,
  mediaWorkerStateSubject,
  mediaWorkerStateOf,
} from './subjects.js';
export { tracedHeaders, traceContextOf, traceparentOf } from './trace-headers.js';
export {
  publishMessage,
  requestMessage,
  subscribeMessages,
  respondMessage,
  type ProtoCodec,
  type BusMessage,
  type RequestOptions,
  type TypedSubscription,
} from './messages.js';
export {
  ensureStream,
  ensureCallEventsStream,
  ensureCallbackEventsStream,
  ensureFactsStream,
  consumeDurable,
  DEFAULT_DUPLICATE_WINDOW_MS,
  type EnsureStreamOptions,
  type DurableConsumerOptions,
} from './jetstream.js';
export {
  publishDurably,
  DurablePublishError,
  DEFAULT_PUBLISH_ATTEMPT_TIMEOUT_MS,
  DEFAULT_PUBLISH_INITIAL_BACKOFF_MS,
  DEFAULT_PUBLISH_MAX_BACKOFF_MS,
  type DurablePublishOptions,
} from './durable-publish.js';
export {
  publishToStream,
  StreamPublishError,
  type StreamAck,
  type StreamPublishFailure,
  type StreamPublishOptions,
} from './stream-publish.js';
export {
  RecordTable,
  ensureRecordStream,
  RECORD_MAX_AGE_MS,
  type RecordTableOptions,
} from './record-table.js';
export { FactSequence } from './fact-sequence.js';
export {
  INSTANCES_STREAM,
  INSTANCES_SUBJECTS,
  instanceSubject,
  instancesOfKind,
  instancePingSubject,
  trunkRegistrationSubject,
  TRUNK_REGISTRATION_SUBJECTS,
} from './subjects.js';
export {
  advertiseInstance,
  ensureInstancesStream,
  watchInstances,
  INSTANCE_HEARTBEAT_MS,
  INSTANCE_TTL_MS,
  INSTANCE_FORGET_AFTER_MS,
  type AdvertiseOptions,
  type Advertisement,
  type InstanceWatch,
  type LiveInstances,
  type WatchOptions,
} from './instance-registry.js';
export {
  InstanceTable,
  parseAnnouncement,
  type Announcement,
  type Instance,
  type InstanceResources,
} from './instance-table.js';
export {
  durableFactPublisher,
  OrderedFactReporting,
  type DurableFactPublisherOptions,
  type FactLog,
  type OrderedFactReportingOptions,
  type PublishFact,
  type ReportedFact,
} from './fact-reporting.js';
