// Media operations on a leg: playback and echo (digit collection is the digits capability).
import { callEvents } from '@callctl/proto';
import type { CallEvent } from '../../call.events';
import type { Leg } from '../../call.state';
import { answeredLeg, leg, replay, type Active, type Cmd, type Decision } from '../../call.guards';
import { IllegalStateError, NotFoundError, ValidationError } from '../../errors';
import { playFingerprint, type Playback } from './media.state';

const { PlaybackEndReason } = callEvents;
const none: Decision = { events: [] };

export const playMedia = (s: Active, c: Cmd<'PlayMedia'>): Decision => {
  const d = { ...c.data, repeat: c.data.repeat || 1 };
  if (!d.mediaUri)
    throw new ValidationError('a media URL or file id is required', { callId: s.callId, legId: d.legId });
  const again = replay(s, c.metadata.idempotencyKey, playFingerprint(d));
  if (again) return again;
  answeredLeg(s, d.legId, 'play media');
  const base = { callId: s.callId, legId: d.legId, clientState: s.clientState };
  const out = finishPlaybacksOn(s, [d.legId], PlaybackEndReason.PLAYBACK_END_REASON_STOPPED);
  out.push({
    type: 'PlaybackStarted',
    data: {
      ...base,
      playbackId: c.metadata.newId,
      mediaUri: d.mediaUri,
      repeat: d.repeat,
      idempotencyKey: c.metadata.idempotencyKey ?? '',
      source: '',
      ttsFallbackFrom: '',
      collectId: '',
      durationMs: 0,
    },
  });
  return { events: out, resultId: c.metadata.newId };
};

/** PlaybackFinished with this reason for each playback still playing to one of these legs. */
export function finishPlaybacksOn(
  s: Active,
  legIds: readonly string[],
  reason: callEvents.PlaybackEndReason,
): CallEvent[] {
  return Object.values(s.playbacks)
    .filter((p) => p.status === 'playing' && legIds.includes(p.legId))
    .map((p) => playbackFinished(s, p, reason));
}

const playbackFinished = (s: Active, p: Playback, reason: callEvents.PlaybackEndReason): CallEvent => ({
  type: 'PlaybackFinished',
  data: {
    callId: s.callId,
    legId: p.legId,
    playbackId: p.playbackId,
    reason,
    clientState: s.clientState,
    source: '',
    collectId: '',
  },
});

/** A leg that ends stops what plays to it. */
export const endPlaybacksOfLeg = (s: Active, l: Leg): CallEvent[] =>
  finishPlaybacksOn(s, [l.legId], PlaybackEndReason.PLAYBACK_END_REASON_LEG_ENDED);

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
  return p.status === 'finished' ? none : { events: [playbackFinished(s, p, reason)] };
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
