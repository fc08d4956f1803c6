import { status as GrpcStatus } from '@grpc/grpc-js';
import { callControl, callEvents, mediaLibrary, recordings } from '@callctl/proto';
import type { MediaCall, RecordingsCall, UnaryCall } from './commands.js';
import { causeWord, enumWord } from './event-line.js';

type Method = UnaryCall['method'];
type MediaMethod = MediaCall['method'] | 'uploadMedia';
type RecordingsMethod = RecordingsCall['method'];

/** The response type of each unary method, for --json. */
const RESPONSE_TYPES: Record<Method, { toJSON(message: never): unknown }> = {
  createCall: callControl.CreateCallResponse,
  answerLeg: callControl.AnswerLegResponse,
  rejectLeg: callControl.RejectLegResponse,
  hangup: callControl.HangupResponse,
  playMedia: callControl.PlayMediaResponse,
  stopMedia: callControl.StopMediaResponse,
  collectDigits: callControl.CollectDigitsResponse,
  startEcho: callControl.StartEchoResponse,
  stopEcho: callControl.StopEchoResponse,
  bridgeLegs: callControl.BridgeLegsResponse,
  dial: callControl.DialResponse,
  getCall: callControl.GetCallResponse,
  listCalls: callControl.ListCallsResponse,
  say: callControl.SayResponse,
  sendDtmf: callControl.SendDtmfResponse,
  setDtmfDetection: callControl.SetDtmfDetectionResponse,
  startRecording: callControl.StartRecordingResponse,
  pauseRecording: callControl.PauseRecordingResponse,
  resumeRecording: callControl.ResumeRecordingResponse,
  stopRecording: callControl.StopRecordingResponse,
  recordLeg: callControl.RecordLegResponse,
  monitorCall: callControl.MonitorCallResponse,
  setMonitorMode: callControl.SetMonitorModeResponse,
  stopMonitor: callControl.StopMonitorResponse,
  holdLeg: callControl.HoldLegResponse,
  resumeLeg: callControl.ResumeLegResponse,
  transferLeg: callControl.TransferLegResponse,
  startConsultation: callControl.StartConsultationResponse,
  completeTransfer: callControl.CompleteTransferResponse,
  cancelConsultation: callControl.CancelConsultationResponse,
  decideTransfer: callControl.DecideTransferResponse,
  addParticipant: callControl.AddParticipantResponse,
  removeParticipant: callControl.RemoveParticipantResponse,
  startStream: callControl.StartStreamResponse,
  stopStream: callControl.StopStreamResponse,
  pauseStream: callControl.PauseStreamResponse,
  resumeStream: callControl.ResumeStreamResponse,
  startSiprec: callControl.StartSiprecResponse,
  pauseSiprec: callControl.PauseSiprecResponse,
  resumeSiprec: callControl.ResumeSiprecResponse,
  stopSiprec: callControl.StopSiprecResponse,
};

const MEDIA_RESPONSE_TYPES: Record<MediaMethod, { toJSON(message: never): unknown }> = {
  uploadMedia: mediaLibrary.UploadMediaResponse,
  listMedia: mediaLibrary.ListMediaResponse,
  getMedia: mediaLibrary.GetMediaResponse,
  deleteMedia: mediaLibrary.DeleteMediaResponse,
};

const RECORDINGS_RESPONSE_TYPES: Record<RecordingsMethod, { toJSON(message: never): unknown }> = {
  getRecording: recordings.GetRecordingResponse,
  listRecordings: recordings.ListRecordingsResponse,
  deleteRecording: recordings.DeleteRecordingResponse,
};

/** The response in the proto3 JSON mapping, one line. */
export function responseJson(method: Method | MediaMethod | RecordingsMethod, response: unknown): string {
  const type =
    method in RESPONSE_TYPES
      ? RESPONSE_TYPES[method as Method]
      : method in MEDIA_RESPONSE_TYPES
        ? MEDIA_RESPONSE_TYPES[method as MediaMethod]
        : RECORDINGS_RESPONSE_TYPES[method as RecordingsMethod];
  return JSON.stringify(type.toJSON(response as never));
}

export function eventJson(message: callControl.WatchEventsResponse): string {
  return JSON.stringify(callControl.WatchEventsResponse.toJSON(message));
}

/** A time as ISO text, `-` when absent. */
export const at = (date: Date | undefined) => (date ? date.toISOString() : '-');

/** A page of a list: its lines (or what says there are none), then how to get the next page. */
export function pageText(lines: string[], none: string, nextPageToken: string): string {
  return [
    ...(lines.length === 0 ? [none] : lines),
    ...(nextPageToken ? [`more: --page-token ${nextPageToken}`] : []),
  ].join('\n');
}

function legLine(leg: callControl.Leg): string {
  const state = enumWord(callControl.legStateToJSON(leg.state), 'LEG_STATE_');
  const direction = enumWord(callEvents.legDirectionToJSON(leg.direction), 'LEG_DIRECTION_');
  return [
    `  leg ${leg.legId}`,
    direction,
    state + (leg.earlyMedia && leg.state === callControl.LegState.LEG_STATE_RINGING ? ' (early media)' : ''),
    `from=${leg.fromUri}`,
    `to=${leg.toUri}`,
    ...(leg.bridgedWithLegId ? [`bridged-with=${leg.bridgedWithLegId}`] : []),
    ...(leg.inbandDtmf ? ['inband-dtmf'] : []),
    ...(leg.role === callEvents.LegRole.LEG_ROLE_SUPERVISOR ? [`supervisor-of=${leg.monitorId}`] : []),
    ...(leg.role === callEvents.LegRole.LEG_ROLE_PARTICIPANT ? [`participant=${leg.participantId}`] : []),
    ...(leg.state === callControl.LegState.LEG_STATE_ENDED
      ? [`cause=${causeWord(leg.endCause)}`, ...(leg.sipStatus ? [`sip=${leg.sipStatus}`] : [])]
      : []),
  ].join(' ');
}

/** A call for people: a header line, then one line per leg. */
export function callText(call: callControl.Call): string {
  const header = [
    `call ${call.callId}`,
    call.ended ? `ended cause=${causeWord(call.endCause)}` : 'active',
    `version=${call.version}`,
    `created=${at(call.createdAt)}`,
    ...(call.endedAt ? [`ended=${at(call.endedAt)}`] : []),
    ...(call.hangupDeadline ? [`hangup-deadline=${at(call.hangupDeadline)}`] : []),
    ...(call.clientState ? [`client-state=${JSON.stringify(call.clientState)}`] : []),
  ].join(' ');
  return [header, ...call.legs.map(legLine)].join('\n');
}

/** What a successful unary call prints without --json. */
export function responseText(call: UnaryCall, response: unknown): string {
  switch (call.method) {
    case 'createCall': {
      const r = response as callControl.CreateCallResponse;
      return `call ${r.callId} leg ${r.legId}`;
    }
    case 'dial':
      return `leg ${(response as callControl.DialResponse).legId}`;
    case 'playMedia':
    case 'say':
      return `playback ${(response as callControl.PlayMediaResponse).playbackId}`;
    case 'sendDtmf':
      return `sent by ${enumWord(callEvents.dtmfMethodToJSON((response as callControl.SendDtmfResponse).method), 'DTMF_METHOD_')}`;
    case 'collectDigits':
      return `collect ${(response as callControl.CollectDigitsResponse).collectId}`;
    case 'bridgeLegs':
      return `bridge ${(response as callControl.BridgeLegsResponse).bridgeId}`;
    case 'getCall': {
      const { call: found } = response as callControl.GetCallResponse;
      return found ? callText(found) : 'no call in the response';
    }
    case 'listCalls': {
      const r = response as callControl.ListCallsResponse;
      return pageText(r.calls.map(callText), 'no active calls', r.nextPageToken);
    }
    case 'answerLeg':
    case 'rejectLeg':
    case 'hangup':
    case 'stopMedia':
    case 'startEcho':
    case 'stopEcho':
    case 'setDtmfDetection':
    case 'pauseRecording':
    case 'resumeRecording':
    case 'stopRecording':
    case 'setMonitorMode':
    case 'stopMonitor':
    case 'holdLeg':
    case 'resumeLeg':
    case 'completeTransfer':
    case 'cancelConsultation':
    case 'decideTransfer':
    case 'removeParticipant':
    case 'stopStream':
    case 'pauseStream':
    case 'resumeStream':
    case 'pauseSiprec':
    case 'resumeSiprec':
    case 'stopSiprec':
      return 'ok';
    case 'transferLeg': {
      const r = response as callControl.TransferLegResponse;
      return `transfer ${r.transferId}${r.targetLegId ? ` target-leg ${r.targetLegId}` : ''}`;
    }
    case 'startConsultation': {
      const r = response as callControl.StartConsultationResponse;
      return `transfer ${r.transferId} consultation-leg ${r.consultationLegId}`;
    }
    case 'addParticipant': {
      const r = response as callControl.AddParticipantResponse;
      return `participant ${r.participantId} leg ${r.legId}`;
    }
    case 'monitorCall':
      return `monitor ${(response as callControl.MonitorCallResponse).monitorId}`;
    case 'startRecording':
    case 'recordLeg':
      return `recording ${(response as callControl.StartRecordingResponse).recordingId}`;
    case 'startStream':
      return `stream ${(response as callControl.StartStreamResponse).streamId}`;
    case 'startSiprec':
      return `siprec ${(response as callControl.StartSiprecResponse).siprecId}`;
    default: {
      const unknown: never = call;
      return String(unknown);
    }
  }
}

/**
 * A file of the media library, one line:
 * `media m1 name="welcome.mp3" format=mp3 bytes=48213 duration=3010ms rate=8000Hz created=2026-...Z`.
 */
export function mediaText(media: mediaLibrary.MediaInfo): string {
  return [
    `media ${media.mediaId}`,
    `name=${JSON.stringify(media.name)}`,
    `format=${media.uploadedFormat}`,
    `bytes=${media.uploadedBytes}`,
    `duration=${media.durationMs}ms`,
    `rate=${media.sampleRateHz}Hz`,
    `created=${at(media.createdAt)}`,
  ].join(' ');
}

/** What a successful MediaLibrary call prints without --json. */
export function mediaResponseText(method: MediaMethod, response: unknown): string {
  switch (method) {
    case 'uploadMedia':
    case 'getMedia': {
      const { media } = response as mediaLibrary.GetMediaResponse;
      return media ? mediaText(media) : 'no media in the response';
    }
    case 'listMedia': {
      const r = response as mediaLibrary.ListMediaResponse;
      return pageText(r.media.map(mediaText), 'no media', r.nextPageToken);
    }
    case 'deleteMedia':
      return 'ok';
    default: {
      const unknown: never = method;
      return String(unknown);
    }
  }
}

/**
 * A recording, a line, then one per part and pause:
 * `recording rec-1 call=c1 kind=call status=saved channels=dual duration=5000ms bytes=80088 started=...`.
 */
export function recordingText(r: recordings.Recording): string {
  const header = [
    `recording ${r.recordingId}`,
    `call=${r.callId}`,
    `kind=${enumWord(callEvents.recordingKindToJSON(r.kind), 'RECORDING_KIND_')}`,
    ...(r.legIds.length > 0 ? [`legs=${r.legIds.join(',')}`] : []),
    `status=${enumWord(recordings.recordingStatusToJSON(r.status), 'RECORDING_STATUS_')}`,
    `channels=${enumWord(callEvents.recordingChannelsToJSON(r.channels), 'RECORDING_CHANNELS_')}`,
    `duration=${r.durationMs}ms`,
    `bytes=${r.bytes}`,
    `started=${at(r.startedAt)}`,
    ...(r.endedAt ? [`ended=${at(r.endedAt)}`] : []),
    ...(r.stopReason
      ? [`stop=${enumWord(callEvents.recordingStopReasonToJSON(r.stopReason), 'RECORDING_STOP_REASON_')}`]
      : []),
    ...(r.failureReason ? [`failure=${JSON.stringify(r.failureReason)}`] : []),
  ].join(' ');
  const parts = r.parts.map((p) =>
    [
      `  part ${p.part}`,
      p.saved ? 'saved' : 'recording',
      ...(p.partial ? ['partial'] : []),
      `duration=${p.durationMs}ms`,
      `bytes=${p.bytes}`,
      ...(p.sha256 ? [`sha256=${p.sha256}`] : []),
    ].join(' '),
  );
  const pauses = r.pauses.map((p) => `  pause at=${p.offsetMs}ms duration=${p.durationMs}ms part=${p.part}`);
  return [header, ...parts, ...pauses].join('\n');
}

/** What a successful Recordings call prints without --json. */
export function recordingsResponseText(method: RecordingsMethod, response: unknown): string {
  switch (method) {
    case 'getRecording': {
      const { recording } = response as recordings.GetRecordingResponse;
      return recording ? recordingText(recording) : 'no recording in the response';
    }
    case 'listRecordings': {
      const r = response as recordings.ListRecordingsResponse;
      return pageText(r.recordings.map(recordingText), 'no recordings', r.nextPageToken);
    }
    case 'deleteRecording':
      return 'ok';
    default: {
      const unknown: never = method;
      return String(unknown);
    }
  }
}

/** `error: NOT_FOUND: no call 7f3c`: the gRPC code by name, then the server's message. */
export function grpcErrorText(error: { code?: number; details?: string; message?: string }): string {
  const name = error.code !== undefined ? GrpcStatus[error.code] : undefined;
  const message = error.details || error.message || 'unknown error';
  return `error: ${name ?? 'UNKNOWN'}: ${message}`;
}
