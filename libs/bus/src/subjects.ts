/** The JetStream stream holding the public call events. */
export const CALL_EVENTS_STREAM = 'CALL_EVENTS';
/** Subjects of CALL_EVENTS: protobuf payloads. */
export const CALL_EVENTS_SUBJECTS = 'calls.>';
/**
 * JSON copies of the same events for humans (`nats sub 'calls-json.>'`), published by the relay only
 * when asked; kept in a separate tree so protobuf consumers of `calls.>` never see JSON.
 */
export const CALL_EVENTS_JSON_PREFIX = 'calls-json';

const TOKEN = /^[A-Za-z0-9_-]+$/;

/** `LegAnswered` -> `leg_answered`. */
export function eventSubjectToken(type: string): string {
  return type
    .replace(/([a-z0-9])([A-Z])/g, '$1_$2')
    .replace(/([A-Z])([A-Z][a-z])/g, '$1_$2')
    .toLowerCase();
}

function assertToken(kind: string, value: string): void {
  if (!TOKEN.test(value)) throw new Error(`${kind} ${JSON.stringify(value)} is not a valid subject token`);
}

/** `calls.<callId>.<snake_case type>`: the one place a call event subject is spelled. */
export function callEventSubject(callId: string, type: string): string {
  assertToken('call id', callId);
  assertToken('event type', type);
  return `calls.${callId}.${eventSubjectToken(type)}`;
}

/** `calls-json.<callId>.<snake_case type>`. */
export function callEventJsonSubject(callId: string, type: string): string {
  return `${CALL_EVENTS_JSON_PREFIX}.${callEventSubject(callId, type).slice('calls.'.length)}`;
}

/** Every event of one call: `calls.<callId>.*`. */
export function callEventsOfCall(callId: string): string {
  assertToken('call id', callId);
  return `calls.${callId}.*`;
}

/**
 * The JetStream stream holding the callback service's public events (callctl.events.v1.Callback*): its own
 * stream and subject tree, beside CALL_EVENTS, because the callback service keeps its own event log.
 */
export const CALLBACK_EVENTS_STREAM = 'CALLBACK_EVENTS';
/** Subjects of CALLBACK_EVENTS: `callbacks.<callbackId>.<snake_case type>`, protobuf payloads. */
export const CALLBACK_EVENTS_SUBJECTS = 'callbacks.>';
/** JSON copies of the callback events, as CALL_EVENTS_JSON_PREFIX is for call events. */
export const CALLBACK_EVENTS_JSON_PREFIX = 'callbacks-json';

/** `callbacks.<callbackId>.<snake_case type>`: the one place a callback event subject is spelled. */
export function callbackEventSubject(callbackId: string, type: string): string {
  assertToken('callback id', callbackId);
  assertToken('event type', type);
  return `callbacks.${callbackId}.${eventSubjectToken(type)}`;
}

/** Every event of one callback: `callbacks.<callbackId>.*`. */
export function callbackEventsOf(callbackId: string): string {
  assertToken('callback id', callbackId);
  return `callbacks.${callbackId}.*`;
}

/**
 * Internal facts (callctl.facts.v1): what sip-edge and the media-worker observed, for the orchestrator's
 * durable consumer. A separate stream and subject tree, so applications subscribed to `calls.>` never see
 * them.
 */
export const FACTS_STREAM = 'CALLCTL_FACTS';
export const FACTS_SUBJECTS = 'facts.>';

/** `facts.sip.<callId>`: a SipFact about one of the call's legs. */
export function sipFactSubject(callId: string): string {
  assertToken('call id', callId);
  return `facts.sip.${callId}`;
}

/** `facts.media.<callId>`: a MediaFact about the call's media session. */
export function mediaFactSubject(callId: string): string {
  assertToken('call id', callId);
  return `facts.media.${callId}`;
}

/** `facts.recording.<callId>`: a RecordingFact about one of the call's recordings. */
export function recordingFactSubject(callId: string): string {
  assertToken('call id', callId);
  return `facts.recording.${callId}`;
}

/** `facts.stream.<callId>`: a StreamFact about one of the call's media streams (the stream gateway). */
export function streamFactSubject(callId: string): string {
  assertToken('call id', callId);
  return `facts.stream.${callId}`;
}

/**
 * sip-edge's record of the legs it holds, one subject per leg (the stream keeps only the last message of
 * each), read back by the same instance after a restart to end the calls it can no longer control.
 */
export const SIP_EDGE_LEGS_STREAM = 'SIP_EDGE_LEGS';
export const SIP_EDGE_LEGS_SUBJECTS = 'sipedge.legs.>';

/** `sipedge.legs.<instance>.<legId>`. */
export function sipEdgeLegSubject(instance: string, legId: string): string {
  assertToken('sip-edge instance', instance);
  assertToken('leg id', legId);
  return `sipedge.legs.${instance}.${legId}`;
}

/** Every leg record of one sip-edge instance: `sipedge.legs.<instance>.*`. */
export function sipEdgeLegsOf(instance: string): string {
  assertToken('sip-edge instance', instance);
  return `sipedge.legs.${instance}.*`;
}

/**
 * The media-worker's record of what it owes across a restart (playbacks still running, locally answered
 * parties, in-band DTMF parties, relayed sessions re-negotiated with inject DTMF for SendDtmf, the call
 * of a session named apart from it), one subject per record (the
 * stream keeps only the last message of each),
 * read back by the same instance at start.
 */
export const MEDIA_WORKER_STATE_STREAM = 'MEDIA_WORKER_STATE';
export const MEDIA_WORKER_STATE_SUBJECTS = 'mediaworker.state.>';

/** `mediaworker.state.<instance>.<kind>.<key>`; the key is one token (the worker encodes its ids). */
export function mediaWorkerStateSubject(instance: string, kind: string, key: string): string {
  assertToken('media-worker instance', instance);
  assertToken('record kind', kind);
  assertToken('record key', key);
  return `mediaworker.state.${instance}.${kind}.${key}`;
}

/** Every record of one kind of one media-worker instance: `mediaworker.state.<instance>.<kind>.*`. */
export function mediaWorkerStateOf(instance: string, kind: string): string {
  assertToken('media-worker instance', instance);
  assertToken('record kind', kind);
  return `mediaworker.state.${instance}.${kind}.*`;
}

/**
 * Instances announce themselves on `instances.<kind>.<instance>`; the stream CALLCTL_INSTANCES keeps the
 * last announcement of each for a while, so that a process that starts knows of an instance that died
 * before it (missing, not merely unknown). A publish on `instances-ping.<kind>` makes every instance of the
 * kind announce itself at once.
 */
export const INSTANCES_STREAM = 'CALLCTL_INSTANCES';
export const INSTANCES_SUBJECTS = 'instances.>';

export function instanceSubject(kind: string, instance: string): string {
  assertToken('instance kind', kind);
  assertToken('instance', instance);
  return `instances.${kind}.${instance}`;
}

/** `instances.<kind>.*`: every announcement of one kind. */
export function instancesOfKind(kind: string): string {
  assertToken('instance kind', kind);
  return `instances.${kind}.*`;
}

/** `instances-ping.<kind>`, outside the stream: a ping is nothing to keep. */
export function instancePingSubject(kind: string): string {
  assertToken('instance kind', kind);
  return `instances-ping.${kind}`;
}

/**
 * `trunks.<name>.registration`: TrunkRegistrationChanged (callctl.v1 provisioning), published (core NATS, not
 * stored) by the sip-edge registering the trunk whenever its state or last status changes.
 */
export function trunkRegistrationSubject(trunk: string): string {
  assertToken('trunk name', trunk);
  return `trunks.${trunk}.registration`;
}

/** Every trunk's registration changes: `trunks.*.registration`. */
export const TRUNK_REGISTRATION_SUBJECTS = 'trunks.*.registration';
