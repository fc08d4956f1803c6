// A Say or CollectDigits retried under its idempotency key, from the request as parsed to the domain's
// answer: the same speech is a replay whoever spoke it (the fallback speaks another file), other speech under
// the same key is refused ALREADY_EXISTS (IdempotencyConflictError), and a call whose events predate the
// request fingerprint replays as it did before.
import type { callControl } from '@callctl/proto';
import { unresolvedMedia, type Resolved } from '../../app/media-sources.js';
import type { CallCommand } from '../../domain/call.commands.js';
import { decide } from '../../domain/call.decide.js';
import type { CallEvent } from '../../domain/call.events.js';
import { foldEvents } from '../../domain/call.state.js';
import { IdempotencyConflictError } from '../../domain/errors.js';
import * as b from '../../domain/testing/builders.js';
import { nameUuid } from '../ids.js';
import * as requests from './requests.js';

const stamp = { clock: () => 42, ids: { next: () => 'fresh', fromName: nameUuid } };

type SpeechFields = { text?: string; voice?: string; provider?: string; language?: string };
const speech = (o: SpeechFields = {}): callControl.Speech => ({
  input: { $case: 'text', text: o.text ?? 'Press 1 for sales' },
  voice: o.voice ?? 'Joanna',
  provider: o.provider ?? 'polly',
  language: o.language ?? 'en-US',
});
const say = (o: SpeechFields & { repeat?: number } = {}) =>
  requests.say(
    { callId: b.CALL, legId: 'A', speech: speech(o), repeat: o.repeat ?? 1, idempotencyKey: 'k-say' },
    stamp,
  );
const collect = (o: SpeechFields = {}) =>
  requests.collectDigits(
    {
      callId: b.CALL,
      legId: 'A',
      maxDigits: 1,
      terminators: '',
      firstDigitTimeoutMs: 5000,
      interDigitTimeoutMs: 3000,
      prompts: [
        { media: { $case: 'say', say: speech(o) } },
        { media: { $case: 'fileId', fileId: 'menu.wav' } },
      ],
      bargeIn: true,
      idempotencyKey: 'k-collect',
    },
    stamp,
  );

/** What the tts service answers: the requested provider, or the fallback speaking another file for it. */
const byPolly: Resolved = {
  mediaUri: 'tts:tts-polly-1',
  media: { source: 'tts:polly/Joanna', durationMs: 1500, ttsFallbackFrom: '' },
};
const byFallback: Resolved = {
  mediaUri: 'tts:tts-espeak-7',
  media: { source: 'tts:espeak/en-us', durationMs: 1700, ttsFallbackFrom: 'polly' },
};
const menu: Resolved = {
  mediaUri: 'file:menu.wav',
  media: { source: 'file', durationMs: 0, ttsFallbackFrom: '' },
};

/** The call after the first request was decided: its events appended to an answered leg. */
function callAfter(first: CallCommand, recorded: (e: CallEvent) => CallEvent = (e) => e) {
  const history = b.answeredA();
  const decision = decide(first, foldEvents(history));
  return { state: foldEvents([...history, ...decision.events.map(recorded)]), resultId: decision.resultId };
}

/** An event as recorded before request_fingerprint existed. */
const withoutFingerprint = (e: CallEvent): CallEvent =>
  e.type === 'PlaybackStarted' || e.type === 'DigitCollectionStarted'
    ? ({ ...e, data: { ...e.data, requestFingerprint: '' } } as CallEvent)
    : e;

describe('Say retried under its key', () => {
  it('records the fingerprint of the request in PlaybackStarted', () => {
    const first = decide(say().command([byPolly]), foldEvents(b.answeredA()));
    const started = first.events.find((e) => e.type === 'PlaybackStarted');
    expect(started?.type === 'PlaybackStarted' && started.data.requestFingerprint).toMatch(/^[\w-]{43}$/);
  });

  it('answers the same speech with the first playback and records nothing', () => {
    const { state, resultId } = callAfter(say().command([byPolly]));
    const again = decide(say().command([byPolly]), state);
    expect(again).toMatchObject({ resultId, events: [] });
  });

  it.each<[string, SpeechFields & { repeat?: number }]>([
    ['text', { text: 'Press 2 for support' }],
    ['voice', { voice: 'Matthew' }],
    ['provider', { provider: 'espeak' }],
    ['language', { language: 'en-GB' }],
  ])('refuses other speech (another %s) under the same key as a key conflict', (_, other) => {
    const { state } = callAfter(say().command([byPolly]));
    // The tts service may well answer other speech with a file of the same provider: only what was asked differs.
    expect(() => decide(say(other).command([byPolly]), state)).toThrow(IdempotencyConflictError);
  });

  it('answers a retry of speech the fallback spoke, now spoken by the requested provider, as a replay', () => {
    const { state, resultId } = callAfter(say().command([byFallback]));
    expect(decide(say().command([byPolly]), state)).toMatchObject({ resultId, events: [] });
    // ...and answered from the log before anything is synthesized (app mediaCommand): still the same.
    const parsed = say();
    expect(decide(parsed.command(parsed.choices.map(unresolvedMedia)), state)).toMatchObject({ resultId });
  });

  it('refuses other text under the key even when answered from the log before synthesis', () => {
    const { state } = callAfter(say().command([byFallback]));
    const parsed = say({ text: 'Goodbye' });
    expect(() => decide(parsed.command(parsed.choices.map(unresolvedMedia)), state)).toThrow(
      IdempotencyConflictError,
    );
  });

  it('replays as before when the playback was recorded without a fingerprint (an older event)', () => {
    const { state, resultId } = callAfter(say().command([byFallback]), withoutFingerprint);
    expect(decide(say().command([byPolly]), state)).toMatchObject({ resultId, events: [] });
    // Without what was asked on record, speech cannot be told apart: as before, other text replays too.
    expect(decide(say({ text: 'Goodbye' }).command([byPolly]), state)).toMatchObject({
      resultId,
      events: [],
    });
  });
});

describe('CollectDigits retried under its key', () => {
  it('records the fingerprint of the request in DigitCollectionStarted', () => {
    const first = decide(collect().command([byPolly, menu]), foldEvents(b.answeredA()));
    const started = first.events.find((e) => e.type === 'DigitCollectionStarted');
    expect(started?.type === 'DigitCollectionStarted' && started.data.requestFingerprint).toMatch(
      /^[\w-]{43}$/,
    );
  });

  it('answers the same prompts with the first collection, whoever spoke them', () => {
    const { state, resultId } = callAfter(collect().command([byFallback, menu]));
    expect(decide(collect().command([byPolly, menu]), state)).toMatchObject({ resultId, events: [] });
  });

  it('refuses a spoken prompt with other text under the same key as a key conflict', () => {
    const { state } = callAfter(collect().command([byPolly, menu]));
    expect(() => decide(collect({ text: 'Enter your PIN' }).command([byPolly, menu]), state)).toThrow(
      IdempotencyConflictError,
    );
  });

  it('replays as before when the collection was recorded without a fingerprint (an older event)', () => {
    const { state, resultId } = callAfter(collect().command([byFallback, menu]), withoutFingerprint);
    expect(decide(collect().command([byPolly, menu]), state)).toMatchObject({ resultId, events: [] });
  });
});
