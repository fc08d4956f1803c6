// One-line test builders of playbacks and echo: events, commands, and short histories.
import { type callEvents } from '@callctl/proto';
import type { CallCommand } from '../../call.commands';
import type { CallEvent } from '../../call.events';
import { base, meta } from '../../testing/builder-base';

export const playbackStarted = (
  legId: string,
  playbackId: string,
  key = 'k-play',
  mediaUri = 'http://127.0.0.1/a.wav',
  repeat = 1,
  requestFingerprint = '',
): CallEvent => ({
  type: 'PlaybackStarted',
  data: {
    ...base,
    legId,
    playbackId,
    mediaUri,
    repeat,
    idempotencyKey: key,
    source: mediaUri.startsWith('http') ? 'url' : mediaUri.slice(0, mediaUri.indexOf(':')),
    ttsFallbackFrom: '',
    collectId: '',
    durationMs: 0,
    requestFingerprint,
  },
});

export const playbackFinished = (
  legId: string,
  playbackId: string,
  reason: callEvents.PlaybackEndReason,
  o: { source?: string; collectId?: string } = {},
): CallEvent => ({
  type: 'PlaybackFinished',
  data: { ...base, legId, playbackId, reason, source: o.source ?? 'url', collectId: o.collectId ?? '' },
});

export const echoStarted = (legId: string): CallEvent => ({ type: 'EchoStarted', data: { ...base, legId } });

export const echoStopped = (legId: string): CallEvent => ({ type: 'EchoStopped', data: { ...base, legId } });

export const playMedia = (
  legId: string,
  newId = 'P1',
  key: string | undefined = 'k-play',
  mediaUri = 'http://127.0.0.1/a.wav',
  requestFingerprint?: string,
): CallCommand => ({
  type: 'PlayMedia',
  data: { legId, mediaUri, repeat: 1, ...(requestFingerprint ? { requestFingerprint } : {}) },
  metadata: meta(newId, key),
});

export const stopMedia = (playbackId: string): CallCommand => ({
  type: 'StopMedia',
  data: { playbackId },
  metadata: meta(),
});

export const startEcho = (legId: string): CallCommand => ({
  type: 'StartEcho',
  data: { legId },
  metadata: meta(),
});

export const stopEcho = (legId: string): CallCommand => ({
  type: 'StopEcho',
  data: { legId },
  metadata: meta(),
});

export const recordPlaybackFinished = (playbackId: string, failed = false): CallCommand => ({
  type: 'RecordPlaybackFinished',
  data: { playbackId, failed },
  metadata: meta(),
});
