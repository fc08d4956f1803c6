// Prompt-and-collect: prompts in order, the timer after the last, barge-in, and a restart mid-prompt.
import { foldEvents } from './call.state';
import { decide } from './call.decide';
import { IdempotencyConflictError, ValidationError } from './errors';
import { given } from './testing/decider-spec';
import * as b from './testing/builders';
const { PlaybackEndReason: P, CollectEndReason: R } = b;

const hello = b.prompt('hello', 'espeak/en-us');
const menu = b.prompt('menu.wav');
const prompts = [hello, menu];
const started = (o: { bargeIn?: boolean; maxDigits?: number } = {}) =>
  b.collectStarted('A', 'D1', { prompts, bargeIn: o.bargeIn ?? false, maxDigits: o.maxDigits ?? 4 });
const firstPlaying = (o: { bargeIn?: boolean; maxDigits?: number } = {}) => [
  ...b.answeredA(),
  started(o),
  b.promptStarted('A', 'D1', 0, hello),
];
const secondPlaying = (o: { bargeIn?: boolean; maxDigits?: number } = {}) => [
  ...firstPlaying(o),
  b.promptFinished('A', 'D1', 0, hello, P.PLAYBACK_END_REASON_COMPLETED),
  b.promptStarted('A', 'D1', 1, menu),
];
const timer = (expectedDigits: number, atMs: number) => ({
  kind: 'collectTimeout' as const,
  collectId: 'D1',
  expectedDigits,
  atMs,
});

const promptTimer = (index: number, atMs: number) => ({
  kind: 'promptTimeout' as const,
  collectId: 'D1',
  playbackId: `D1-prompt-${index}`,
  atMs,
});

describe('prompt-and-collect: start', () => {
  it('records the prompts and barge_in, and starts the first prompt in the same decision', () =>
    given(...b.answeredA())
      .when(b.collectDigits('A', { newId: 'D1', prompts, bargeIn: true }))
      .then(started({ bargeIn: true }), b.promptStarted('A', 'D1', 0, hello)));
  // Before: no deadline at all while prompts played, so a prompt recorded but never played held the
  // collection forever. Now the only one is the prompt's own timeout: its length + margin.
  it("arms no digit timer while prompts play, only the first prompt's timeout (length + margin)", () =>
    given(...b.answeredA())
      .when(b.collectDigits('A', { newId: 'D1', prompts }))
      .thenDeadlines(promptTimer(0, 1000 + 1200 + 5000)));
  it('arms the first-digit timer at once without prompts', () =>
    given(...b.answeredA())
      .when(b.collectDigits('A', { newId: 'D1' }))
      .thenDeadlines(timer(0, 6000)));
  it('replaces a playback running on the leg, as PlayMedia does', () =>
    given(...b.answeredA(), b.playbackStarted('A', 'P1'))
      .when(b.collectDigits('A', { newId: 'D1', prompts }))
      .then(
        b.playbackFinished('A', 'P1', P.PLAYBACK_END_REASON_STOPPED),
        started(),
        b.promptStarted('A', 'D1', 0, hello),
      ));
  it('refuses more than 10 prompts', () =>
    given(...b.answeredA())
      .when(b.collectDigits('A', { newId: 'D1', prompts: Array.from({ length: 11 }, () => menu) }))
      .thenThrows(ValidationError, /at most 10 prompts/));
  it('answers a replay of its key with the collection and no new prompt', () =>
    given(...firstPlaying())
      .when(b.collectDigits('A', { newId: 'D2', prompts }))
      .thenResult('D1'));
  it('answers a replay whose spoken prompt another provider spoke (another tts media id) with the collection', () =>
    given(...firstPlaying())
      .when(
        b.collectDigits('A', { newId: 'D2', prompts: [b.prompt('hello-by-fallback', 'espeak/en-us'), menu] }),
      )
      .thenResult('D1'));
  const recordedWith = (requestFingerprint: string) => [
    ...b.answeredA(),
    b.collectStarted('A', 'D1', { prompts, requestFingerprint }),
    b.promptStarted('A', 'D1', 0, hello),
  ];
  it('records the request fingerprint the app computed in DigitCollectionStarted', () =>
    given(...b.answeredA())
      .when(b.collectDigits('A', { newId: 'D1', prompts, requestFingerprint: 'fp-hello' }))
      .then(
        b.collectStarted('A', 'D1', { prompts, requestFingerprint: 'fp-hello' }),
        b.promptStarted('A', 'D1', 0, hello),
      ));
  it('answers a replay with the same request fingerprint, spoken by another provider, with the collection', () =>
    given(...recordedWith('fp-hello'))
      .when(
        b.collectDigits('A', {
          newId: 'D2',
          prompts: [b.prompt('hello-by-fallback', 'espeak/en-us'), menu],
          requestFingerprint: 'fp-hello',
        }),
      )
      .thenResult('D1'));
  it('refuses prompts with another request fingerprint (other speech) under the same key', () =>
    given(...recordedWith('fp-hello'))
      .when(b.collectDigits('A', { newId: 'D2', prompts, requestFingerprint: 'fp-goodbye' }))
      .thenThrows(IdempotencyConflictError));
  it('answers as before when the collection was recorded without a request fingerprint', () =>
    given(...firstPlaying())
      .when(b.collectDigits('A', { newId: 'D2', prompts, requestFingerprint: 'fp-hello' }))
      .thenResult('D1'));
});

describe('prompt-and-collect: prompts in order', () => {
  it('starts the next prompt when one completes', () =>
    given(...firstPlaying())
      .when(b.recordPlaybackFinished('D1-prompt-0'))
      .then(
        b.promptFinished('A', 'D1', 0, hello, P.PLAYBACK_END_REASON_COMPLETED),
        b.promptStarted('A', 'D1', 1, menu),
      ));
  it('moves on to the next prompt when one fails', () =>
    given(...firstPlaying())
      .when(b.recordPlaybackFinished('D1-prompt-0', true))
      .then(
        b.promptFinished('A', 'D1', 0, hello, P.PLAYBACK_END_REASON_FAILED),
        b.promptStarted('A', 'D1', 1, menu),
      ));
  it('arms the first-digit timer when the last prompt ends, and starts no other', () => {
    given(...secondPlaying())
      .when(b.recordPlaybackFinished('D1-prompt-1'))
      .then(b.promptFinished('A', 'D1', 1, menu, P.PLAYBACK_END_REASON_COMPLETED));
    given(...secondPlaying())
      .when(b.recordPlaybackFinished('D1-prompt-1'))
      .thenDeadlines(timer(0, 6000));
  });
  it('PlaybackFinished of a prompt carries its source and collect_id', () => {
    const d = decide(b.recordPlaybackFinished('D1-prompt-0'), foldEvents(firstPlaying()));
    expect(d.events[0]).toMatchObject({ data: { source: 'tts:espeak/en-us', collectId: 'D1' } });
  });
  it('a prompt stopped by StopMedia ends the prompts: the timer starts', () =>
    given(...firstPlaying())
      .when(b.stopMedia('D1-prompt-0'))
      .thenDeadlines(timer(0, 6000)));
  it('a playback that replaces a prompt ends the prompts: the timer starts', () =>
    given(...firstPlaying())
      .when(b.playMedia('A', 'P9', 'k-other'))
      .thenDeadlines(timer(0, 6000)));
  it('a bridge that replaces a prompt ends the prompts: the timer starts', () => {
    const h = [
      ...b.answeredA(),
      b.legInitiated('B'),
      b.legAnswered('B'),
      started(),
      b.promptStarted('A', 'D1', 0, hello),
    ];
    given(...h)
      .when(b.bridgeLegs('A', 'B'))
      .thenDeadlines(timer(0, 6000));
  });
  it('a prompt that ends after its collection ended starts nothing', () =>
    given(
      ...firstPlaying(),
      b.dtmfReceived('A', '1', 'D1'),
      b.promptFinished('A', 'D1', 0, hello, P.PLAYBACK_END_REASON_STOPPED),
      b.digitsCollected('A', 'D1', '1', R.COLLECT_END_REASON_MAX_DIGITS),
    )
      .when(b.recordPlaybackFinished('D1-prompt-0'))
      .thenNothing());
});

describe('prompt-and-collect: a prompt that never ends', () => {
  it('a prompt of unknown length (a file, a URL) gets the generous bound of 10 minutes', () =>
    given(...firstPlaying())
      .when(b.recordPlaybackFinished('D1-prompt-0'))
      .thenDeadlines(promptTimer(1, 1000 + 600_000)));
  it('its timeout records it FAILED and starts the next prompt', () =>
    given(...firstPlaying())
      .when(b.recordPlaybackFinished('D1-prompt-0', true))
      .then(
        b.promptFinished('A', 'D1', 0, hello, P.PLAYBACK_END_REASON_FAILED),
        b.promptStarted('A', 'D1', 1, menu),
      ));
  it('the timeout of the last prompt starts the first-digit timer', () =>
    given(...secondPlaying())
      .when(b.recordPlaybackFinished('D1-prompt-1', true))
      .thenDeadlines(timer(0, 6000)));
});

describe('prompt-and-collect: barge-in', () => {
  it('the first digit stops the prompt that plays and arms the inter-digit timer', () => {
    given(...firstPlaying({ bargeIn: true }))
      .when(b.recordDtmf('A', '1'))
      .then(
        b.dtmfReceived('A', '1', 'D1'),
        b.promptFinished('A', 'D1', 0, hello, P.PLAYBACK_END_REASON_STOPPED),
      );
    given(...firstPlaying({ bargeIn: true }))
      .when(b.recordDtmf('A', '1'))
      .thenDeadlines(timer(1, 4000));
  });
  it('skips the prompts not played yet', () => {
    const barged = [
      ...firstPlaying({ bargeIn: true }),
      b.dtmfReceived('A', '1', 'D1'),
      b.promptFinished('A', 'D1', 0, hello, P.PLAYBACK_END_REASON_STOPPED),
    ];
    // The worker's report of the stopped prompt comes late: it starts nothing.
    given(...barged)
      .when(b.recordPlaybackFinished('D1-prompt-0'))
      .thenNothing();
    given(...barged)
      .when(b.recordDtmf('A', '2'))
      .then(b.dtmfReceived('A', '2', 'D1'));
  });
  it('without barge_in a digit is collected and the prompts go on, with no timer yet', () => {
    given(...firstPlaying())
      .when(b.recordDtmf('A', '1'))
      .then(b.dtmfReceived('A', '1', 'D1'));
    given(...firstPlaying())
      .when(b.recordDtmf('A', '1'))
      .thenDeadlines();
    // After the last prompt, the timer waits for the next digit (inter-digit: one came already).
    given(...secondPlaying(), b.dtmfReceived('A', '1', 'D1'))
      .when(b.recordPlaybackFinished('D1-prompt-1'))
      .thenDeadlines(timer(1, 4000));
  });
  it('a collection that ends stops the prompt still playing, barge_in or not', () =>
    given(...firstPlaying({ maxDigits: 1 }))
      .when(b.recordDtmf('A', '7'))
      .then(
        b.dtmfReceived('A', '7', 'D1'),
        b.promptFinished('A', 'D1', 0, hello, P.PLAYBACK_END_REASON_STOPPED),
        b.digitsCollected('A', 'D1', '7', R.COLLECT_END_REASON_MAX_DIGITS),
      ));
  it('a terminator ends the collection and stops the prompt', () =>
    given(...secondPlaying())
      .when(b.recordDtmf('A', '#'))
      .then(
        b.dtmfReceived('A', '#', 'D1'),
        b.promptFinished('A', 'D1', 1, menu, P.PLAYBACK_END_REASON_STOPPED),
        b.digitsCollected('A', 'D1', '', R.COLLECT_END_REASON_TERMINATOR, '#'),
      ));
  it('the leg ending ends the prompt and cancels the collection', () =>
    given(...firstPlaying())
      .when(b.recordLegEnded('A', b.EndCause.END_CAUSE_REMOTE_HANGUP))
      .then(
        b.promptFinished('A', 'D1', 0, hello, P.PLAYBACK_END_REASON_LEG_ENDED),
        b.digitsCollected('A', 'D1', '', R.COLLECT_END_REASON_CANCELLED),
        b.legEnded('A', b.EndCause.END_CAUSE_REMOTE_HANGUP),
        b.callEnded(b.EndCause.END_CAUSE_REMOTE_HANGUP),
      ));
});

describe('prompt-and-collect: a restart mid-prompt', () => {
  it('continues from the log: the state rebuilt from the events starts the next prompt', () => {
    const rebuilt = foldEvents(firstPlaying());
    const d = decide(b.recordPlaybackFinished('D1-prompt-0'), rebuilt);
    expect(d.events.map((e) => e.type)).toEqual(['PlaybackFinished', 'PlaybackStarted']);
    expect(d.events[1]).toMatchObject({ data: { playbackId: 'D1-prompt-1', mediaUri: 'file:menu.wav' } });
  });
});
