// What StartRecorder asks for, checked before anything is created: ids, the parties and the layout they fit.
import { ValidationError } from '@callctl/errors';
import type { ChannelLayout, PauseMode, RecordingKind, RecordingParty, StopReason } from './ports.js';

export interface StartRecording {
  recordingId: string;
  callId: string;
  kind: RecordingKind;
  /** Channel order. */
  parties: readonly RecordingParty[];
  channels: ChannelLayout;
  pauseMode: PauseMode;
  maxDurationMs: number;
  silenceTimeoutMs: number;
  startDelayMs: number;
}

const RECORDING_ID = /^rec-[0-9a-f]{32}$/;
/** Call ids end up in NATS subjects (facts.recording.<call id>). */
const CALL_ID = /^[A-Za-z0-9_-]+$/;

export function checkRecordingId(recordingId: string): string {
  if (!RECORDING_ID.test(recordingId))
    throw new ValidationError(
      `recording_id must be "rec-" and 32 hex digits, got ${JSON.stringify(recordingId)}`,
    );
  return recordingId;
}

export function checkStartRecording(request: StartRecording): StartRecording {
  checkRecordingId(request.recordingId);
  if (!CALL_ID.test(request.callId))
    throw new ValidationError(
      `call_id must be letters, digits, _ or -, got ${JSON.stringify(request.callId)}`,
    );
  if (request.parties.length === 0) throw new ValidationError('parties must name at least one party');
  for (const party of request.parties)
    if (!party.sessionId || !party.tag || !party.legId)
      throw new ValidationError('every party needs a leg_id and a media session_id and tag');
  const tags = new Set(request.parties.map((p) => `${p.sessionId}\n${p.tag}`));
  if (tags.size !== request.parties.length) throw new ValidationError('a party is named twice');
  // DUAL of a call with one answered leg (an IVR caller) is that leg on the left and silence on the right:
  // the layout an application asked for stays the same whoever answered.
  if (request.channels === 'dual' && request.parties.length > 2)
    throw new ValidationError(`a DUAL recording has one or two parties, got ${request.parties.length}`);
  if (request.kind === 'segment' && (request.parties.length !== 1 || request.channels !== 'mono'))
    throw new ValidationError('a segment records one party, MONO');
  if (request.kind !== 'segment' && request.silenceTimeoutMs > 0)
    throw new ValidationError('silence_timeout_ms is for segments');
  return request;
}

/** Reasons the recorder found by itself, which it reports as RecorderStopped (the others the orchestrator knows). */
export function stoppedByItself(reason: StopReason): boolean {
  return reason === 'silence' || reason === 'max_duration' || reason === 'media_ended';
}

/** The parties grouped by media session, each with its channel index (one fork per session). */
export function partiesBySession(
  parties: readonly RecordingParty[],
): Array<{ sessionId: string; members: Array<{ party: RecordingParty; channel: number }> }> {
  const sessions = new Map<string, Array<{ party: RecordingParty; channel: number }>>();
  parties.forEach((party, channel) => {
    const members = sessions.get(party.sessionId) ?? [];
    members.push({ party, channel });
    sessions.set(party.sessionId, members);
  });
  return [...sessions].map(([sessionId, members]) => ({ sessionId, members }));
}

/** Key of a part in the store: `<recording id>/part-<n>.wav`. */
export const storageKeyOf = (recordingId: string, part: number) => `${recordingId}/part-${part}.wav`;

/**
 * The fork's tag in each session: the recording id. rtpengine takes it as the subscriber's to-tag, and a
 * new StartFork with the same id replaces the subscription, which is what a restarted service does to
 * move the fork to its new sockets.
 */
export const forkIdOf = (recordingId: string) => recordingId;
