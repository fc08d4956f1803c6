// Media operations on a leg: playback and echo (digit collection is the digits capability).
import { callEvents } from '@callctl/proto';
import type { CallEvent } from '../../call.events';
import type { Leg } from '../../call.state';
import { answeredLeg, leg, replay, type Active, type Cmd, type Decision } from '../../call.guards';
import { IllegalStateError, NotFoundError, ValidationError } from '../../errors';
import { afterPrompt, stopPlaybacksOn } from '../digits/prompts';
import { activeEvolve, type DecideContext } from '../capability';
import { playFingerprint } from './media.state';
import { isHoldMusic } from '../holds/holds.state';
import { finishPlaybacksOn, playbackFinished, playbackStarted } from './playback-events';

const { PlaybackEndReason } = callEvents;
const none: Decision = { events: [] };

export const playMedia = (s: Active, c: Cmd<'PlayMedia'>, ctx: DecideContext): Decision => {
  const d = { ...c.data, repeat: c.data.repeat || 1 };
  if (!d.mediaUri)
    throw new ValidationError('a media URL or file id is required', { callId: s.callId, legId: d.legId });
  const again = replay(s, c.metadata.idempotencyKey, playFingerprint(d), d.requestFingerprint);
  if (again) return again;
  answeredLeg(s, d.legId, 'play media');
  const stopped = stopPlaybacksOn(s, [d.legId], c.metadata.now, activeEvolve(ctx));
  const started = playbackStarted(s, {
    legId: d.legId,
    playbackId: c.metadata.newId,
    mediaUri: d.mediaUri,
    repeat: d.repeat,
    idempotencyKey: c.metadata.idempotencyKey ?? '',
    collectId: '',
    ...(d.media ? { media: d.media } : {}),
    requestFingerprint: d.requestFingerprint ?? '',
  });
  return { events: [...stopped.events, started], resultId: c.metadata.newId, deadlines: stopped.deadlines };
};

/** A leg that ends stops what plays to it. */
export const endPlaybacksOfLeg = (s: Active, l: Leg): CallEvent[] =>
  finishPlaybacksOn(s, [l.legId], PlaybackEndReason.PLAYBACK_END_REASON_LEG_ENDED);

export const stopMedia = (s: Active, c: Cmd<'StopMedia'>, ctx: DecideContext): Decision =>
  finishPlayback(s, c, PlaybackEndReason.PLAYBACK_END_REASON_STOPPED, ctx);

export const recordPlaybackFinished = (
  s: Active,
  c: Cmd<'RecordPlaybackFinished'>,
  ctx: DecideContext,
): Decision =>
  finishPlayback(
    s,
    c,
    c.data.failed
      ? PlaybackEndReason.PLAYBACK_END_REASON_FAILED
      : PlaybackEndReason.PLAYBACK_END_REASON_COMPLETED,
    ctx,
  );

/**
 * Ends a playback with this reason; one that already finished stays as it is (a stop racing its end). A
 * collection's prompt that ends is followed by the next prompt or, after the last, the collection's timer.
 */
function finishPlayback(
  s: Active,
  c: Cmd<'StopMedia' | 'RecordPlaybackFinished'>,
  reason: callEvents.PlaybackEndReason,
  ctx: DecideContext,
): Decision {
  const { playbackId } = c.data;
  const p = s.playbacks[playbackId];
  // Hold music is played by the holds capability's media, not recorded as a playback: its end is nothing.
  if (!p && c.type === 'RecordPlaybackFinished' && isHoldMusic(playbackId)) return none;
  if (!p)
    throw new NotFoundError(`playback ${playbackId} does not exist in call ${s.callId}`, {
      callId: s.callId,
    });
  if (p.status === 'finished') return none;
  const finished = playbackFinished(s, p, reason);
  if (!p.collectId) return { events: [finished] };
  const next = afterPrompt(activeEvolve(ctx)(s, finished), p.collectId, c.metadata.now);
  return { events: [finished, ...next.events], deadlines: next.deadlines ?? [] };
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
