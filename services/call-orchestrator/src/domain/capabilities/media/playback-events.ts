// The PlaybackStarted and PlaybackFinished events, built alike for a plain playback and a collection's
// prompt (a prompt's carries its collect_id).
import type { callEvents } from '@callctl/proto';
import type { ResolvedMedia } from '../../call.commands';
import type { CallEvent } from '../../call.events';
import type { Active } from '../../call.guards';
import type { Playback } from './media.state';

/** Where a media URI comes from when the app did not say: `url` or `file` (`library` and `tts` it says). */
export function sourceOfUri(mediaUri: string): string {
  const scheme = mediaUri.slice(0, mediaUri.indexOf(':'));
  return scheme === 'http' || scheme === 'https' ? 'url' : scheme;
}

export const playbackStarted = (
  s: Active,
  p: {
    legId: string;
    playbackId: string;
    mediaUri: string;
    repeat: number;
    idempotencyKey: string;
    collectId: string;
    media?: ResolvedMedia;
    /** The request's digest, for a plain playback ('' for a prompt: its collection records one). */
    requestFingerprint?: string;
  },
): CallEvent => ({
  type: 'PlaybackStarted',
  data: {
    callId: s.callId,
    legId: p.legId,
    clientState: s.clientState,
    playbackId: p.playbackId,
    mediaUri: p.mediaUri,
    repeat: p.repeat,
    idempotencyKey: p.idempotencyKey,
    source: p.media?.source || sourceOfUri(p.mediaUri),
    ttsFallbackFrom: p.media?.ttsFallbackFrom ?? '',
    collectId: p.collectId,
    durationMs: p.media?.durationMs ?? 0,
    requestFingerprint: p.requestFingerprint ?? '',
  },
});

export const playbackFinished = (
  s: Active,
  p: Playback,
  reason: callEvents.PlaybackEndReason,
): CallEvent => ({
  type: 'PlaybackFinished',
  data: {
    callId: s.callId,
    legId: p.legId,
    playbackId: p.playbackId,
    reason,
    clientState: s.clientState,
    source: p.source,
    collectId: p.collectId,
  },
});

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
