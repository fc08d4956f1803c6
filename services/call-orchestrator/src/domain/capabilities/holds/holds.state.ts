// Holds' part of the call state: whether a leg is on hold, by whom (the API's HoldLeg or the leg's own
// phone), and what the API's hold plays. It lives on the leg (`Leg.hold`): a leg is held or not.
import { callEvents as callEventsEnum, type callEvents } from '@callctl/proto';
import { IllegalStateError } from '../../errors';
import type { Leg } from '../../call.state';
import { remember } from '../../idempotency';
import { withLeg, type Evolver } from '../capability';
import { requestedMedia } from '../media/media.state';

export type LegHold = {
  /** API (HoldLeg, a consultation) or REMOTE (the phone's re-INVITE). */
  readonly by: callEvents.Initiator;
  /** API: what the held party hears (PlaybackStarted.media_uri form); empty: silence. */
  readonly musicUri: string;
  /** API: the bridge peer hears the music too. */
  readonly musicToPeer: boolean;
  /** REMOTE: the direction the phone offered (sendonly or inactive). */
  readonly direction: string;
  /** The transfer (consultation) that held the leg, if any. */
  readonly transferId: string;
};

/** Prefix of the hold music's playback ids: not playbacks of the log, so their facts record nothing. */
export const HOLD_MUSIC_PREFIX = 'hold-music-';

/**
 * The playback id of the music of `heldLegId`'s hold heard by `listenerLegId` (the held leg, or its peer):
 * fixed per pair, so a retried hold replaces its own music.
 */
export const holdMusicPlaybackId = (heldLegId: string, listenerLegId: string): string =>
  `${HOLD_MUSIC_PREFIX}${heldLegId}${listenerLegId === heldLegId ? '' : `-to-${listenerLegId}`}`;

/**
 * Refuses to join a leg the API holds to a bridge: its media is cut off from its bridge and plays the
 * music in the session it is in, which a bridge would leave behind. The hold is resumed first.
 */
export function refuseHeld(s: { callId: string }, l: Leg, action: string): void {
  if (l.hold?.by === callEventsEnum.Initiator.INITIATOR_API)
    throw new IllegalStateError(`leg ${l.legId} is on hold; resume it before it can ${action}`, {
      callId: s.callId,
      legId: l.legId,
    });
}

export const isHoldMusic = (playbackId: string): boolean => playbackId.startsWith(HOLD_MUSIC_PREFIX);

/** What a HoldLeg request is, for its idempotency key: speech counts as speech whatever the tts answered. */
export const holdFingerprint = (d: { legId: string; musicUri: string; musicToPeer: boolean }) =>
  `hold|${d.legId}|${requestedMedia(d.musicUri)}|${d.musicToPeer}`;

const legHeld: Evolver<'LegHeld'> = (s, { data: d }) => {
  const l = s.legs[d.legId];
  if (!l) return s;
  const hold: LegHold = {
    by: d.by,
    musicUri: d.musicUri,
    musicToPeer: d.musicToPeer,
    direction: d.direction,
    transferId: d.transferId,
  };
  return {
    ...withLeg(s, { ...l, hold }),
    idempotency: remember(s.idempotency, d.idempotencyKey, holdFingerprint(d), d.legId),
  };
};

const legResumed: Evolver<'LegResumed'> = (s, { data: d }) => {
  const l = s.legs[d.legId];
  if (!l?.hold) return s;
  const { hold: _resumed, ...rest } = l;
  void _resumed;
  return withLeg(s, rest as Leg);
};

export const holdsEvolve = { LegHeld: legHeld, LegResumed: legResumed };
