// Front door of the generated wire types. Add a line here when a new .proto file is added to /proto.
export * as health from './gen/grpc/health/v1/health.js';
export * as media from './gen/callctl/media/v1/media_worker.js';
export * as callEvents from './gen/callctl/events/v1/call_events.js';
export * as eventlog from './gen/callctl/eventlog/v1/event_envelope.js';
export * as callControl from './gen/callctl/v1/call_control.js';
export * as sipEdge from './gen/callctl/sipedge/v1/sip_edge.js';
export * as facts from './gen/callctl/facts/v1/facts.js';
export * as mediaStore from './gen/callctl/media/v1/media_store.js';
export * as mediaLibrary from './gen/callctl/v1/media_library.js';
export * as tts from './gen/callctl/tts/v1/tts.js';
export * as recordings from './gen/callctl/v1/recordings.js';
export * as recorder from './gen/callctl/recording/v1/recorder.js';
export * as mixer from './gen/callctl/mixer/v1/mixer.js';
export * as callbackEvents from './gen/callctl/events/v1/callback_events.js';
export * as callback from './gen/callctl/v1/callback.js';
export * as streamGateway from './gen/callctl/streams/v1/stream_gateway.js';
export * as provisioning from './gen/callctl/v1/provisioning.js';
