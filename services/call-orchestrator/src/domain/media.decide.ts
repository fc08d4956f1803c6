// Media operations on a leg: playback and echo (digit collection is in collect-digits.ts).
import { callEvents } from '@callctl/proto';
import type { CallEvent } from './call.events';
import { fingerprint } from './call.state';
import { answeredLeg, leg, replay, type Active, type Cmd, type Decision } from './call.guards';
import { IllegalStateError, NotFoundError, ValidationError } from './errors';

const { PlaybackEndReason } = callEvents;
const none: Decision = { events: [] };

export const playMedia = (s: Active, c: Cmd<'PlayMedia'>): Decision => {
  const d = { ...c.data, repeat: c.data.repeat || 1 };
  if (!d.mediaUri)
    throw new ValidationError('a media URL or file id is required', { callId: s.callId, legId: d.legId });
  const again = replay(s, c.metadata.idempotencyKey, fingerprint.play(d));
  if (again) return again;
  answeredLeg(s, d.legId, 'play media');
  const base = { callId: s.callId, legId: d.legId, clientState: s.clientState };
  const out: CallEvent[] = Object.values(s.playbacks)
    .filter((p) => p.legId === d.legId && p.status === 'playing')
    .map((p) => ({
      type: 'PlaybackFinished',
      data: { ...base, playbackId: p.playbackId, reason: PlaybackEndReason.PLAYBACK_END_REASON_STOPPED },
    }));
  out.push({
    type: 'PlaybackStarted',
    data: {
      ...base,
      playbackId: c.metadata.newId,
      mediaUri: d.mediaUri,
      repeat: d.repeat,
      idempotencyKey: c.metadata.idempotencyKey ?? '',
    },
  });
  return { events: out, resultId: c.metadata.newId };
};

export const stopMedia = (s: Active, c: Cmd<'StopMedia'>): Decision =>
  finishPlayback(s, c.data.playbackId, PlaybackEndReason.PLAYBACK_END_REASON_STOPPED);

export const recordPlaybackFinished = (s: Active, c: Cmd<'RecordPlaybackFinished'>): Decision =>
  finishPlayback(
    s,
    c.data.playbackId,
    c.data.failed
      ? PlaybackEndReason.PLAYBACK_END_REASON_FAILED
      : PlaybackEndReason.PLAYBACK_END_REASON_COMPLETED,
  );

/** Ends a playback with this reason; one that already finished stays as it is (a stop racing its end). */
function finishPlayback(s: Active, playbackId: string, reason: callEvents.PlaybackEndReason): Decision {
  const p = s.playbacks[playbackId];
  if (!p)
    throw new NotFoundError(`playback ${playbackId} does not exist in call ${s.callId}`, {
      callId: s.callId,
    });
  if (p.status === 'finished') return none;
  return {
    events: [
      {
        type: 'PlaybackFinished',
        data: {
          callId: s.callId,
          legId: p.legId,
          playbackId: p.playbackId,
          reason,
          clientState: s.clientState,
        },
      },
    ],
  };
}

export const startEcho = (s: Active, c: Cmd<'StartEcho'>): Decision => {
  const l = answeredLeg(s, c.data.legId, 'echo');
  if (l.bridgeId)
    throw new IllegalStateError(`leg ${l.legId} is bridged; unbridge it before an echo`, {
      callId: s.callId,
      legId: l.legId,
    });
  return l.echo
    ? none
    : {
        events: [
          { type: 'EchoStarted', data: { callId: s.callId, legId: l.legId, clientState: s.clientState } },
        ],
      };
};

export const stopEcho = (s: Active, c: Cmd<'StopEcho'>): Decision => {
  const l = leg(s, c.data.legId);
  return l.status === 'answered' && l.echo
    ? {
        events: [
          { type: 'EchoStopped', data: { callId: s.callId, legId: l.legId, clientState: s.clientState } },
        ],
      }
    : none;
};
