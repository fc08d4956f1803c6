// Digit collection: start, take digits, end on max digits, a terminator key or a timeout. The timers run
// in the app (a process manager): it sets one for first_digit_timeout_ms after DigitCollectionStarted and
// one for inter_digit_timeout_ms after each DtmfReceived, and reports a firing as RecordCollectTimeout with
// the digit count it armed at, so a timer that a later digit made stale is ignored here.
import { callEvents } from '@callctl/proto';
import type { CallEvent } from '../../call.events';
import type { Leg } from '../../call.state';
import { answeredLeg, leg, replay, type Active, type Cmd, type Decision } from '../../call.guards';
import { IllegalStateError, NotFoundError, ValidationError } from '../../errors';
import { activeEvolve, type DecideContext } from '../capability';
import { playbackFinished } from '../media/playback-events';
import { collectFingerprint, type Collect } from './digits.state';
import { inPrompts, playingPrompt, startPrompt, stopPlaybacksOn } from './prompts';

const { CollectEndReason } = callEvents;
export const DTMF_KEYS = '0123456789*#ABCD';
/** @default 5000 */
export const DEFAULT_FIRST_DIGIT_TIMEOUT_MS = 5000;
/** @default 3000 */
export const DEFAULT_INTER_DIGIT_TIMEOUT_MS = 3000;
const MAX_DIGITS_LIMIT = 64;

/** proto CollectDigitsRequest.prompts: up to 10. */
export const MAX_PROMPTS = 10;

export function collectDigits(s: Active, c: Cmd<'CollectDigits'>, ctx: DecideContext): Decision {
  const d = {
    legId: c.data.legId,
    maxDigits: c.data.maxDigits || 1,
    terminators: c.data.terminators,
    firstDigitTimeoutMs: c.data.firstDigitTimeoutMs || DEFAULT_FIRST_DIGIT_TIMEOUT_MS,
    interDigitTimeoutMs: c.data.interDigitTimeoutMs || DEFAULT_INTER_DIGIT_TIMEOUT_MS,
    prompts: c.data.prompts ?? [],
    bargeIn: c.data.bargeIn ?? false,
    requestFingerprint: c.data.requestFingerprint ?? '',
  };
  const where = { callId: s.callId, legId: d.legId };
  if (d.maxDigits > MAX_DIGITS_LIMIT)
    throw new ValidationError(`max_digits must be 1-${MAX_DIGITS_LIMIT}, got ${d.maxDigits}`, where);
  if ([...d.terminators].some((k) => !DTMF_KEYS.includes(k)))
    throw new ValidationError(`terminators may only hold ${DTMF_KEYS}, got "${d.terminators}"`, where);
  if (d.prompts.length > MAX_PROMPTS)
    throw new ValidationError(`at most ${MAX_PROMPTS} prompts, got ${d.prompts.length}`, where);
  const again = replay(s, c.metadata.idempotencyKey, collectFingerprint(d), d.requestFingerprint);
  if (again) return again;
  answeredLeg(s, d.legId, 'collect digits');
  const running = runningOn(s, d.legId);
  if (running)
    throw new IllegalStateError(`leg ${d.legId} already collects digits (${running.collectId})`, where);
  const collectId = c.metadata.newId;
  const started: CallEvent = {
    type: 'DigitCollectionStarted',
    data: {
      callId: s.callId,
      ...d,
      collectId,
      clientState: s.clientState,
      idempotencyKey: c.metadata.idempotencyKey ?? '',
    },
  };
  if (d.prompts.length === 0)
    return {
      resultId: collectId,
      deadlines: [
        {
          kind: 'collectTimeout',
          collectId,
          expectedDigits: 0,
          atMs: c.metadata.now + d.firstDigitTimeoutMs,
        },
      ],
      events: [started],
    };
  // The first prompt replaces what plays on the leg, as PlayMedia does; the timer waits for the last.
  const stopped = stopPlaybacksOn(s, [d.legId], c.metadata.now, activeEvolve(ctx));
  const first = startPrompt(s, { collectId, ...d }, 0, c.metadata.now);
  return {
    resultId: collectId,
    deadlines: [...stopped.deadlines, first.deadline],
    events: [...stopped.events, started, first.event],
  };
}

/** The leg whose media is the party a digit was heard on; else the leg the command names. */
function legOfDigit(s: Active, d: Cmd<'RecordDtmf'>['data']): string {
  const party = d.party;
  if (!party) return d.legId;
  const heard = Object.values(s.legs).find(
    (l) => l.media.tag === party.tag && (!party.sessionId || l.media.sessionId === party.sessionId),
  );
  return heard?.legId ?? d.legId;
}

export function recordDtmf(s: Active, c: Cmd<'RecordDtmf'>, ctx: DecideContext): Decision {
  const { digit } = c.data;
  const legId = legOfDigit(s, c.data);
  if (digit.length !== 1 || !DTMF_KEYS.includes(digit))
    throw new ValidationError(`"${digit}" is not a DTMF key`, { callId: s.callId, legId });
  if (leg(s, legId).status !== 'answered') return { events: [] }; // a digit racing the end of the leg
  // What other capabilities do with a key (a segment's terminator), after the collection took it.
  const taken = takeDigit(s, c, legId, ctx);
  return { ...taken, events: [...taken.events, ...ctx.digitReceived(s, legId, digit)] };
}

/** The digit as the call's collection takes it (none running: a plain DtmfReceived). */
function takeDigit(s: Active, c: Cmd<'RecordDtmf'>, legId: string, ctx: DecideContext): Decision {
  const { digit } = c.data;
  const base = { callId: s.callId, legId, clientState: s.clientState };
  const running = runningOn(s, legId);
  const method = c.data.method ?? callEvents.DtmfMethod.DTMF_METHOD_UNSPECIFIED;
  if (!running)
    return { events: [{ type: 'DtmfReceived', data: { ...base, digit, collectId: '', method } }] };
  const received: CallEvent = {
    type: 'DtmfReceived',
    data: { ...base, digit, collectId: running.collectId, method },
  };
  // Barge-in: the digit stops the prompt that plays (and so skips the rest, prompts.ts). A collection that
  // ends stops it whatever barge_in says.
  const prompt = playingPrompt(s, running.collectId);
  const stopPrompt = (): CallEvent[] =>
    prompt ? [playbackFinished(s, prompt, callEvents.PlaybackEndReason.PLAYBACK_END_REASON_STOPPED)] : [];
  const end = (digits: string, reason: callEvents.CollectEndReason, terminator = ''): Decision => ({
    events: [
      received,
      ...stopPrompt(),
      {
        type: 'DigitsCollected',
        data: { ...base, collectId: running.collectId, digits, reason, terminator },
      },
    ],
  });
  if (running.terminators.includes(digit))
    return end(running.digits, CollectEndReason.COLLECT_END_REASON_TERMINATOR, digit);
  const digits = running.digits + digit;
  if (digits.length >= running.maxDigits) return end(digits, CollectEndReason.COLLECT_END_REASON_MAX_DIGITS);
  const events = [received, ...(running.bargeIn ? stopPrompt() : [])];
  // Without barge-in the prompts go on: the timer starts after the last one (afterPrompt).
  const after = events.reduce(activeEvolve(ctx), s);
  const col = after.collects[running.collectId];
  if (col?.status === 'collecting' && inPrompts(after, col)) return { events };
  const atMs = c.metadata.now + running.interDigitTimeoutMs;
  return {
    events,
    deadlines: [
      { kind: 'collectTimeout', collectId: running.collectId, expectedDigits: digits.length, atMs },
    ],
  };
}

export function recordCollectTimeout(s: Active, c: Cmd<'RecordCollectTimeout'>): Decision {
  const col = s.collects[c.data.collectId];
  if (!col)
    throw new NotFoundError(`digit collection ${c.data.collectId} does not exist in call ${s.callId}`, {
      callId: s.callId,
    });
  // Stale: the collection ended, or a digit arrived after this timer was armed.
  if (col.status !== 'collecting' || col.digits.length !== c.data.expectedDigits) return { events: [] };
  const reason =
    col.digits.length === 0
      ? CollectEndReason.COLLECT_END_REASON_FIRST_DIGIT_TIMEOUT
      : CollectEndReason.COLLECT_END_REASON_INTER_DIGIT_TIMEOUT;
  return {
    events: [
      {
        type: 'DigitsCollected',
        data: {
          callId: s.callId,
          legId: col.legId,
          collectId: col.collectId,
          digits: col.digits,
          reason,
          terminator: '',
          clientState: s.clientState,
        },
      },
    ],
  };
}

/** A leg that ends cancels its collection, with the digits it had. */
export const cancelCollectionOfLeg = (s: Active, l: Leg): CallEvent[] =>
  Object.values(s.collects)
    .filter((c) => c.legId === l.legId && c.status === 'collecting')
    .map((c) => ({
      type: 'DigitsCollected',
      data: {
        callId: s.callId,
        clientState: s.clientState,
        legId: l.legId,
        collectId: c.collectId,
        digits: c.digits,
        reason: CollectEndReason.COLLECT_END_REASON_CANCELLED,
        terminator: '',
      },
    }));

function runningOn(s: Active, legId: string): Extract<Collect, { status: 'collecting' }> | undefined {
  for (const col of Object.values(s.collects))
    if (col.legId === legId && col.status === 'collecting') return col;
  return undefined;
}
