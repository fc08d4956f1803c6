// What the `callback` commands print: a callback as one line, the responses, and one line per event.
import { callback, callbackEvents } from '@callctl/proto';
import type { CallbackCall } from './callback-commands.js';
import { enumWord } from './event-line.js';
import { at, pageText } from './output.js';

type CallbackMethod = CallbackCall['method'];

const RESPONSE_TYPES: Record<CallbackMethod, { toJSON(message: never): unknown }> = {
  startCallback: callback.StartCallbackResponse,
  getCallback: callback.GetCallbackResponse,
  listCallbacks: callback.ListCallbacksResponse,
  cancelCallback: callback.CancelCallbackResponse,
  getCallbackStats: callback.GetCallbackStatsResponse,
};

/** The response in the proto3 JSON mapping, one line. */
export function callbackResponseJson(method: CallbackMethod, response: unknown): string {
  return JSON.stringify(RESPONSE_TYPES[method].toJSON(response as never));
}

export function callbackEventJson(message: callback.WatchCallbackEventsResponse): string {
  return JSON.stringify(callback.WatchCallbackEventsResponse.toJSON(message));
}

export const callbackStateWord = (state: callback.CallbackState) =>
  enumWord(callback.callbackStateToJSON(state), 'CALLBACK_STATE_');

const endCauseWord = (cause: callbackEvents.CallbackEndCause) =>
  enumWord(callbackEvents.callbackEndCauseToJSON(cause), 'CALLBACK_END_CAUSE_');

function originWord(origin: callbackEvents.CallbackOrigin | undefined): string {
  if (origin?.kind === callbackEvents.CallbackOriginKind.CALLBACK_ORIGIN_KIND_IIF)
    return `iif:${origin.peerName}:${origin.iifId}`;
  return origin?.kind === callbackEvents.CallbackOriginKind.CALLBACK_ORIGIN_KIND_GRPC ? 'grpc' : '-';
}

/**
 * A callback, one line:
 * `callback cb1-1 ended user1=100 user2=101 origin=grpc call=c1 requested=... cause=user2-hangup real-duration=180s`.
 */
export function callbackText(v: callback.CallbackView): string {
  const over =
    v.state === callback.CallbackState.CALLBACK_STATE_ENDED ||
    v.state === callback.CallbackState.CALLBACK_STATE_FAILED;
  return [
    `callback ${v.callbackId}`,
    callbackStateWord(v.state),
    `user1=${v.user1}`,
    `user2=${v.user2}`,
    `origin=${originWord(v.origin)}`,
    ...(v.callId ? [`call=${v.callId}`] : []),
    ...(v.maxDurationS ? [`max-duration=${v.maxDurationS}s`] : []),
    `requested=${at(v.requestedAt)}`,
    ...(v.bridgedAt ? [`bridged=${at(v.bridgedAt)}`] : []),
    ...(v.endedAt ? [`ended=${at(v.endedAt)}`] : []),
    ...(v.state === callback.CallbackState.CALLBACK_STATE_ENDED
      ? [
          `cause=${endCauseWord(v.endCause)}`,
          ...(v.sipStatus ? [`sip=${v.sipStatus}`] : []),
          `real-duration=${v.realDurationS}s`,
        ]
      : []),
    ...(v.failureCode ? [`failure=${v.failureCode}`, JSON.stringify(v.failureMessage)] : []),
    ...(over ? [] : [`version=${v.version}`]),
  ].join(' ');
}

/** What a successful Callback call prints without --json. */
export function callbackResponseText(method: CallbackMethod, response: unknown): string {
  switch (method) {
    case 'startCallback': {
      const view = (response as callback.StartCallbackResponse).callback;
      return view
        ? `callback ${view.callbackId} ${callbackStateWord(view.state)}`
        : 'no callback in the response';
    }
    case 'getCallback': {
      const view = (response as callback.GetCallbackResponse).callback;
      return view ? callbackText(view) : 'no callback in the response';
    }
    case 'listCallbacks': {
      const r = response as callback.ListCallbacksResponse;
      return pageText(r.callbacks.map(callbackText), 'no callbacks', r.nextPageToken);
    }
    case 'cancelCallback':
      return 'ok';
    case 'getCallbackStats': {
      const s = response as callback.GetCallbackStatsResponse;
      return [
        `active=${s.active} admitted=${s.admitted} refused-concurrency=${s.refusedConcurrency} refused-rate=${s.refusedRate}`,
        `iif requests=${s.iifRequests} failed=${s.iifFailed} dropped-unknown-peer=${s.iifDroppedUnknownPeer} dropped-malformed=${s.iifDroppedMalformed} retransmissions=${s.iifRetransmissions}`,
        `iif responses sent=${s.iifResponsesSent} acknowledged=${s.iifResponsesAcknowledged} abandoned=${s.iifResponsesAbandoned}`,
      ].join('\n');
    }
    default: {
      const unknown: never = method;
      return String(unknown);
    }
  }
}

type KnownEvent = NonNullable<callback.WatchCallbackEventsResponse['event']>;

const legOf = (e: { callId: string; legId: string }) => [`call=${e.callId}`, `leg=${e.legId}`];

/** The facts of one callback event after its type, as `key=value` words. */
function detailsOf(event: KnownEvent): string[] {
  switch (event.$case) {
    case 'requested': {
      const e = event.requested;
      return [
        `user1=${e.user1}`,
        `user2=${e.user2}`,
        `to1=${e.user1Uri}`,
        `to2=${e.user2Uri}`,
        `from=${e.callerUri}`,
        ...(e.maxDurationS ? [`max-duration=${e.maxDurationS}s`] : []),
        `origin=${originWord(e.origin)}`,
      ];
    }
    case 'user1Called':
      return legOf(event.user1Called);
    case 'user1Ringing':
      return legOf(event.user1Ringing);
    case 'user1Answered':
      return legOf(event.user1Answered);
    case 'user2Called':
      return legOf(event.user2Called);
    case 'user2Ringing':
      return legOf(event.user2Ringing);
    case 'user2Answered':
      return legOf(event.user2Answered);
    case 'bridged':
      return [`call=${event.bridged.callId}`, `bridge=${event.bridged.bridgeId}`];
    case 'cancelRequested':
      return event.cancelRequested.reason ? [`reason=${JSON.stringify(event.cancelRequested.reason)}`] : [];
    case 'ended': {
      const e = event.ended;
      return [
        `cause=${endCauseWord(e.cause)}`,
        ...(e.sipStatus ? [`sip=${e.sipStatus}`] : []),
        `real-duration=${e.realDurationS}s`,
      ];
    }
    case 'failed':
      return [`code=${event.failed.code}`, JSON.stringify(event.failed.message)];
    case 'responseSettled': {
      const e = event.responseSettled;
      return [e.acknowledged ? 'acknowledged' : 'abandoned', `attempts=${e.attempts}`];
    }
    default: {
      const unknown: never = event;
      return [String(unknown)];
    }
  }
}

/**
 * One human line per callback event: UTC time it was recorded, log position, callback id, type, facts.
 * `10:15:02.120 #42 cb1f…-1 CallbackEnded cause=max-duration real-duration=60s`.
 */
export function callbackEventLine(message: callback.WatchCallbackEventsResponse): string {
  const envelope = message.envelope;
  const time = envelope?.recordedAt ? envelope.recordedAt.toISOString().slice(11, 23) : '--:--:--.---';
  const callbackId = envelope?.streamId.replace(/^callback-/, '') ?? '?';
  const details = message.event ? detailsOf(message.event) : ['(not known to this callctl version)'];
  return [time, `#${envelope?.globalPosition ?? '?'}`, callbackId, envelope?.type ?? '?', ...details].join(
    ' ',
  );
}
