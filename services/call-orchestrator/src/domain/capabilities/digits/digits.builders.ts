// One-line test builders of digit collection: events, commands, and short histories.
import { callEvents } from '@callctl/proto';
import type { CallCommand } from '../../call.commands';
import type { CallEvent } from '../../call.events';
import { base, meta } from '../../testing/builder-base';

export const collectStarted = (
  legId: string,
  collectId: string,
  o: {
    maxDigits?: number;
    terminators?: string;
    key?: string;
    prompts?: callEvents.CollectPrompt[];
    bargeIn?: boolean;
    requestFingerprint?: string;
  } = {},
): CallEvent => ({
  type: 'DigitCollectionStarted',
  data: {
    ...base,
    legId,
    collectId,
    maxDigits: o.maxDigits ?? 4,
    terminators: o.terminators ?? '#',
    firstDigitTimeoutMs: 5000,
    interDigitTimeoutMs: 3000,
    idempotencyKey: o.key ?? 'k-collect',
    prompts: o.prompts ?? [],
    bargeIn: o.bargeIn ?? false,
    requestFingerprint: o.requestFingerprint ?? '',
  },
});

/** A resolved prompt: a file, or speech when `tts` names the provider/voice that spoke. */
export const prompt = (name: string, tts?: string): callEvents.CollectPrompt =>
  tts
    ? { mediaUri: `tts:${name}`, source: `tts:${tts}`, durationMs: 1200, ttsFallbackFrom: '' }
    : { mediaUri: `file:${name}`, source: 'file', durationMs: 0, ttsFallbackFrom: '' };

/** The PlaybackStarted of a collection's i-th prompt. */
export const promptStarted = (
  legId: string,
  collectId: string,
  index: number,
  p: callEvents.CollectPrompt,
): CallEvent => ({
  type: 'PlaybackStarted',
  data: {
    ...base,
    legId,
    playbackId: `${collectId}-prompt-${index}`,
    mediaUri: p.mediaUri,
    repeat: 1,
    idempotencyKey: '',
    source: p.source,
    ttsFallbackFrom: p.ttsFallbackFrom,
    collectId,
    durationMs: p.durationMs,
    requestFingerprint: '',
  },
});

/** The PlaybackFinished of a collection's i-th prompt. */
export const promptFinished = (
  legId: string,
  collectId: string,
  index: number,
  p: callEvents.CollectPrompt,
  reason: callEvents.PlaybackEndReason,
): CallEvent => ({
  type: 'PlaybackFinished',
  data: {
    ...base,
    legId,
    playbackId: `${collectId}-prompt-${index}`,
    reason,
    source: p.source,
    collectId,
  },
});

export const dtmfReceived = (legId: string, digit: string, collectId = ''): CallEvent => ({
  type: 'DtmfReceived',
  data: { ...base, legId, digit, collectId, method: callEvents.DtmfMethod.DTMF_METHOD_UNSPECIFIED },
});

export const digitsCollected = (
  legId: string,
  collectId: string,
  digits: string,
  reason: callEvents.CollectEndReason,
  terminator = '',
): CallEvent => ({
  type: 'DigitsCollected',
  data: { ...base, legId, collectId, digits, reason, terminator },
});

export const collectDigits = (
  legId: string,
  o: {
    newId?: string;
    key?: string;
    maxDigits?: number;
    terminators?: string;
    prompts?: callEvents.CollectPrompt[];
    bargeIn?: boolean;
    requestFingerprint?: string;
  } = {},
): CallCommand => ({
  type: 'CollectDigits',
  data: {
    legId,
    maxDigits: o.maxDigits ?? 4,
    terminators: o.terminators ?? '#',
    firstDigitTimeoutMs: 5000,
    interDigitTimeoutMs: 3000,
    ...(o.prompts ? { prompts: o.prompts } : {}),
    ...(o.bargeIn ? { bargeIn: o.bargeIn } : {}),
    ...(o.requestFingerprint ? { requestFingerprint: o.requestFingerprint } : {}),
  },
  metadata: meta(o.newId ?? 'D1', o.key ?? 'k-collect'),
});

export const sendDtmf = (legId: string, digits: string, durationMs = 0, key = 'k-dtmf'): CallCommand => ({
  type: 'SendDtmf',
  data: { legId, digits, durationMs },
  metadata: meta('new-1', key),
});

export const dtmfSent = (
  legId: string,
  digits: string,
  method: callEvents.DtmfMethod,
  durationMs = 100,
  key = 'k-dtmf',
): CallEvent => ({
  type: 'DtmfSent',
  data: { ...base, legId, digits, method, durationMs, idempotencyKey: key },
});

export const setDtmfDetection = (legId: string, inband: boolean): CallCommand => ({
  type: 'SetDtmfDetection',
  data: { legId, inband },
  metadata: meta(),
});

export const dtmfDetectionChanged = (legId: string, inband: boolean): CallEvent => ({
  type: 'DtmfDetectionChanged',
  data: { ...base, legId, inband },
});

export const recordDtmf = (legId: string, digit: string): CallCommand => ({
  type: 'RecordDtmf',
  data: { legId, digit },
  metadata: meta(),
});

export const recordCollectTimeout = (collectId: string, expectedDigits: number): CallCommand => ({
  type: 'RecordCollectTimeout',
  data: { collectId, expectedDigits },
  metadata: meta(),
});
