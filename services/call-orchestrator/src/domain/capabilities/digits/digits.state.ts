// Digit collection's part of the call state: each collection by id, with the digits it has so far.
import { remember } from '../../idempotency';
import { callEvents } from '@callctl/proto';
import { withLeg, type Evolver } from '../capability';
import { requestedMedia } from '../media/media.state';

export type Collect =
  | {
      readonly status: 'collecting';
      readonly collectId: string;
      readonly legId: string;
      readonly maxDigits: number;
      readonly terminators: string;
      readonly firstDigitTimeoutMs: number;
      readonly interDigitTimeoutMs: number;
      readonly digits: string;
      /** Played in order before the first-digit timer starts (prompts.ts). */
      readonly prompts: readonly callEvents.CollectPrompt[];
      /** The first digit stops the prompt playing and skips the rest. */
      readonly bargeIn: boolean;
    }
  | { readonly status: 'done'; readonly collectId: string; readonly legId: string; readonly digits: string };
export type DigitsState = { readonly collects: Readonly<Record<string, Collect>> };

export const collectFingerprint = (d: {
  legId: string;
  maxDigits: number;
  terminators: string;
  firstDigitTimeoutMs: number;
  interDigitTimeoutMs: number;
  prompts?: readonly callEvents.CollectPrompt[];
  bargeIn?: boolean;
}) =>
  `collect|${d.legId}|${d.maxDigits}|${d.terminators}|${d.firstDigitTimeoutMs}|${d.interDigitTimeoutMs}` +
  // Collections without prompts keep the fingerprint they were recorded with.
  (d.prompts?.length || d.bargeIn
    ? `|${d.prompts?.map((p) => requestedMedia(p.mediaUri)).join(',') ?? ''}|${d.bargeIn ? 'barge' : ''}`
    : '');

export const dtmfSentFingerprint = (d: { legId: string; digits: string; durationMs: number }) =>
  `dtmf|${d.legId}|${d.digits}|${d.durationMs}`;

/** A replay of SendDtmf answers with the method recorded: kept as the key's result (its enum name). */
const dtmfSent: Evolver<'DtmfSent'> = (s, { data: d }) => ({
  ...s,
  idempotency: remember(
    s.idempotency,
    d.idempotencyKey,
    dtmfSentFingerprint(d),
    callEvents.dtmfMethodToJSON(d.method),
  ),
});

const dtmfDetectionChanged: Evolver<'DtmfDetectionChanged'> = (s, e) => {
  const leg = s.legs[e.data.legId];
  return leg ? withLeg(s, { ...leg, inbandDtmf: e.data.inband }) : s;
};

const collectionStarted: Evolver<'DigitCollectionStarted'> = (s, { data: d }) => {
  const c: Collect = {
    status: 'collecting',
    collectId: d.collectId,
    legId: d.legId,
    maxDigits: d.maxDigits,
    terminators: d.terminators,
    firstDigitTimeoutMs: d.firstDigitTimeoutMs,
    interDigitTimeoutMs: d.interDigitTimeoutMs,
    digits: '',
    prompts: d.prompts,
    bargeIn: d.bargeIn,
  };
  return {
    ...s,
    collects: { ...s.collects, [d.collectId]: c },
    idempotency: remember(
      s.idempotency,
      d.idempotencyKey,
      collectFingerprint(d),
      d.collectId,
      d.requestFingerprint,
    ),
  };
};

const dtmfReceived: Evolver<'DtmfReceived'> = (s, e) => {
  const c = s.collects[e.data.collectId];
  if (!c || c.status !== 'collecting') return s;
  return { ...s, collects: { ...s.collects, [c.collectId]: { ...c, digits: c.digits + e.data.digit } } };
};

const digitsCollected: Evolver<'DigitsCollected'> = (s, { data: d }) => {
  const c = s.collects[d.collectId];
  if (!c) return s;
  const done: Collect = { status: 'done', collectId: d.collectId, legId: c.legId, digits: d.digits };
  return { ...s, collects: { ...s.collects, [d.collectId]: done } };
};

export const digitsEvolve = {
  DigitCollectionStarted: collectionStarted,
  DtmfReceived: dtmfReceived,
  DigitsCollected: digitsCollected,
  DtmfSent: dtmfSent,
  DtmfDetectionChanged: dtmfDetectionChanged,
};
