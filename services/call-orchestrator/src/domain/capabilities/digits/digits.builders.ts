// One-line test builders of digit collection: events, commands, and short histories.
import { callEvents } from '@callctl/proto';
import type { CallCommand } from '../../call.commands';
import type { CallEvent } from '../../call.events';
import { base, meta } from '../../testing/builder-base';

export const collectStarted = (
  legId: string,
  collectId: string,
  o: { maxDigits?: number; terminators?: string; key?: string } = {},
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
    prompts: [],
    bargeIn: false,
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
  o: { newId?: string; key?: string; maxDigits?: number; terminators?: string } = {},
): CallCommand => ({
  type: 'CollectDigits',
  data: {
    legId,
    maxDigits: o.maxDigits ?? 4,
    terminators: o.terminators ?? '#',
    firstDigitTimeoutMs: 5000,
    interDigitTimeoutMs: 3000,
  },
  metadata: meta(o.newId ?? 'D1', o.key ?? 'k-collect'),
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
