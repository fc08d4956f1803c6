// Media operations' part of the call state: playbacks by id, and (on an answered leg) whether it echoes.
import type { callEvents } from '@callctl/proto';
import { remember } from '../../idempotency';
import type { CallState } from '../../call.state';
import { withLeg, type Ev, type Evolver, type Started } from '../capability';

export type Playback = {
  readonly playbackId: string;
  readonly legId: string;
  readonly status: 'playing' | 'finished';
  /** As PlaybackStarted.source: PlaybackFinished carries it again. */
  readonly source: string;
  /** The digit collection this playback is a prompt of ('' for none). */
  readonly collectId: string;
  /** Its length as resolved (0: unknown) and how often it plays: they bound how long a prompt may play. */
  readonly durationMs: number;
  readonly repeat: number;
  /** Why it finished (once finished): a prompt STOPPED ends its collection's prompts. */
  readonly reason?: callEvents.PlaybackEndReason;
};
export type MediaState = { readonly playbacks: Readonly<Record<string, Playback>> };

/**
 * What a request asked to play, as its fingerprint sees it. Speech is recorded as `tts:<media id>`, the id
 * of what the tts service answered, which depends on the provider that spoke (a fallback speaks another
 * file): a retry of the same Say may resolve to another id, so all speech fingerprints alike here. What was
 * said tells a retry from another Say under the same key: the request fingerprint the event records (app
 * media-sources.ts requestFingerprint; idempotency.ts sameRequest), absent from events older than it.
 */
export const requestedMedia = (mediaUri: string) => (mediaUri.startsWith('tts:') ? 'tts' : mediaUri);

export const playFingerprint = (d: { legId: string; mediaUri: string; repeat: number }) =>
  `play|${d.legId}|${requestedMedia(d.mediaUri)}|${d.repeat}`;

const playbackStarted: Evolver<'PlaybackStarted'> = (s, { data: d }) => ({
  ...s,
  playbacks: {
    ...s.playbacks,
    [d.playbackId]: {
      playbackId: d.playbackId,
      legId: d.legId,
      status: 'playing',
      source: d.source,
      collectId: d.collectId,
      durationMs: d.durationMs,
      repeat: d.repeat,
    },
  },
  idempotency: remember(
    s.idempotency,
    d.idempotencyKey,
    playFingerprint(d),
    d.playbackId,
    d.requestFingerprint,
  ),
});

const playbackFinished: Evolver<'PlaybackFinished'> = (s, e) => {
  const p = s.playbacks[e.data.playbackId];
  if (!p) return s;
  const finished: Playback = { ...p, status: 'finished', reason: e.data.reason };
  return { ...s, playbacks: { ...s.playbacks, [p.playbackId]: finished } };
};

const echo =
  (on: boolean) =>
  (s: Started, e: Ev<'EchoStarted' | 'EchoStopped'>): CallState => {
    const leg = s.legs[e.data.legId];
    return leg?.status === 'answered' ? withLeg(s, { ...leg, echo: on }) : s;
  };

export const mediaEvolve = {
  PlaybackStarted: playbackStarted,
  PlaybackFinished: playbackFinished,
  EchoStarted: echo(true),
  EchoStopped: echo(false),
};
