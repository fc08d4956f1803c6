import { IdempotencyConflictError, IllegalStateError, NotFoundError, ValidationError } from './errors';
import { given } from './testing/decider-spec';
import * as b from './testing/builders';
const { EndCause, PlaybackEndReason: P, CollectEndReason: R } = b;

describe('playback: leg answered, nothing playing', () => {
  it('starts a playback and returns its id', () =>
    given(...b.answeredA())
      .when(b.playMedia('A', 'P1'))
      .thenResult('P1', b.playbackStarted('A', 'P1')));
  it('requires an idempotency key', () =>
    given(...b.answeredA())
      .when(b.playMedia('A', 'P1', ''))
      .thenThrows(ValidationError));
  it('says an unknown playback is not found on stop', () =>
    given(...b.answeredA())
      .when(b.stopMedia('P9'))
      .thenThrows(NotFoundError));
});

describe('playback: playing', () => {
  const h = [...b.answeredA(), b.playbackStarted('A', 'P1')];
  it('answers a replay of the same key with the first playback id and no events', () =>
    given(...h)
      .when(b.playMedia('A', 'P2', 'k-play'))
      .thenResult('P1'));
  it('emits nothing on a replay', () =>
    given(...h)
      .when(b.playMedia('A', 'P2', 'k-play'))
      .thenNothing());
  it('refuses the same key for a different media', () =>
    given(...h)
      .when(b.playMedia('A', 'P2', 'k-play', 'http://127.0.0.1/b.wav'))
      .thenThrows(IdempotencyConflictError));
  it('answers a retried Say spoken by another provider (another tts media id) as a replay, not a conflict', () =>
    given(...b.answeredA(), b.playbackStarted('A', 'P1', 'k-say', 'tts:tts-fallback-espeak'))
      .when(b.playMedia('A', 'P2', 'k-say', 'tts:tts-polly'))
      .thenResult('P1'));
  it('records the request fingerprint the app computed in PlaybackStarted', () =>
    given(...b.answeredA())
      .when(b.playMedia('A', 'P1', 'k-say', 'tts:tts-polly', 'fp-hello'))
      .then(b.playbackStarted('A', 'P1', 'k-say', 'tts:tts-polly', 1, 'fp-hello')));
  it('answers a retried Say with the same request fingerprint, spoken by another provider, as a replay', () =>
    given(...b.answeredA(), b.playbackStarted('A', 'P1', 'k-say', 'tts:tts-fallback-espeak', 1, 'fp-hello'))
      .when(b.playMedia('A', 'P2', 'k-say', 'tts:tts-polly', 'fp-hello'))
      .thenResult('P1'));
  it('refuses a Say with another request fingerprint (other speech) under the same key', () =>
    given(...b.answeredA(), b.playbackStarted('A', 'P1', 'k-say', 'tts:tts-polly', 1, 'fp-hello'))
      .when(b.playMedia('A', 'P2', 'k-say', 'tts:tts-polly', 'fp-goodbye'))
      .thenThrows(IdempotencyConflictError));
  it('compares fingerprints as before when the playback was recorded without a request fingerprint', () =>
    given(...b.answeredA(), b.playbackStarted('A', 'P1', 'k-say', 'tts:tts-polly'))
      .when(b.playMedia('A', 'P2', 'k-say', 'tts:tts-polly-2', 'fp-hello'))
      .thenResult('P1'));
  it('replaces the running playback with a new one', () =>
    given(...h)
      .when(b.playMedia('A', 'P2', 'k-2'))
      .then(
        b.playbackFinished('A', 'P1', P.PLAYBACK_END_REASON_STOPPED),
        b.playbackStarted('A', 'P2', 'k-2'),
      ));
  it('stops on StopMedia', () =>
    given(...h)
      .when(b.stopMedia('P1'))
      .then(b.playbackFinished('A', 'P1', P.PLAYBACK_END_REASON_STOPPED)));
  it('finishes when the media worker reports the end', () =>
    given(...h)
      .when(b.recordPlaybackFinished('P1'))
      .then(b.playbackFinished('A', 'P1', P.PLAYBACK_END_REASON_COMPLETED)));
  it('reports a failed playback', () =>
    given(...h)
      .when(b.recordPlaybackFinished('P1', true))
      .then(b.playbackFinished('A', 'P1', P.PLAYBACK_END_REASON_FAILED)));
  it('finishes with the leg when it ends', () =>
    given(...h)
      .when(b.recordLegEnded('A', EndCause.END_CAUSE_REMOTE_HANGUP))
      .then(
        b.playbackFinished('A', 'P1', P.PLAYBACK_END_REASON_LEG_ENDED),
        b.legEnded('A', EndCause.END_CAUSE_REMOTE_HANGUP),
        b.callEnded(EndCause.END_CAUSE_REMOTE_HANGUP),
      ));
});

describe('playback: finished', () => {
  const h = [
    ...b.answeredA(),
    b.playbackStarted('A', 'P1'),
    b.playbackFinished('A', 'P1', P.PLAYBACK_END_REASON_COMPLETED),
  ];
  it('treats a stop as done', () =>
    given(...h)
      .when(b.stopMedia('P1'))
      .thenNothing());
  it('ignores a duplicate end report', () =>
    given(...h)
      .when(b.recordPlaybackFinished('P1'))
      .thenNothing());
});

describe('digits: no collection running', () => {
  it('starts a collection and returns its id', () =>
    given(...b.answeredA())
      .when(b.collectDigits('A'))
      .thenResult('D1', b.collectStarted('A', 'D1')));
  it('reports a digit with no collection', () =>
    given(...b.answeredA())
      .when(b.recordDtmf('A', '5'))
      .then(b.dtmfReceived('A', '5')));
  it('refuses a key that is not DTMF', () =>
    given(...b.answeredA())
      .when(b.recordDtmf('A', 'x'))
      .thenThrows(ValidationError));
  it('refuses terminators that are not DTMF keys', () =>
    given(...b.answeredA())
      .when(b.collectDigits('A', { terminators: '#x' }))
      .thenThrows(ValidationError));
  it('refuses more than 64 digits', () =>
    given(...b.answeredA())
      .when(b.collectDigits('A', { maxDigits: 65 }))
      .thenThrows(ValidationError));
  it('refuses a ringing leg', () =>
    given(...b.outboundRinging())
      .when(b.collectDigits('A'))
      .thenThrows(IllegalStateError, /ringing/));
  it('ignores a digit that races the end of the leg', () =>
    given(...b.answeredA(), b.legInitiated('B'), b.legEnded('B', EndCause.END_CAUSE_BUSY))
      .when(b.recordDtmf('B', '1'))
      .thenNothing());
});

describe('digits: collecting (max 4, terminator #)', () => {
  const h = [...b.answeredA(), b.collectStarted('A', 'D1')];
  it('takes a digit', () =>
    given(...h)
      .when(b.recordDtmf('A', '1'))
      .then(b.dtmfReceived('A', '1', 'D1')));
  it('ends at max digits', () =>
    given(
      ...h,
      b.dtmfReceived('A', '1', 'D1'),
      b.dtmfReceived('A', '2', 'D1'),
      b.dtmfReceived('A', '3', 'D1'),
    )
      .when(b.recordDtmf('A', '4'))
      .then(
        b.dtmfReceived('A', '4', 'D1'),
        b.digitsCollected('A', 'D1', '1234', R.COLLECT_END_REASON_MAX_DIGITS),
      ));
  it('ends on the terminator, without it in the digits', () =>
    given(...h, b.dtmfReceived('A', '7', 'D1'))
      .when(b.recordDtmf('A', '#'))
      .then(
        b.dtmfReceived('A', '#', 'D1'),
        b.digitsCollected('A', 'D1', '7', R.COLLECT_END_REASON_TERMINATOR, '#'),
      ));
  it('ends on the first-digit timeout with no digits', () =>
    given(...h)
      .when(b.recordCollectTimeout('D1', 0))
      .then(b.digitsCollected('A', 'D1', '', R.COLLECT_END_REASON_FIRST_DIGIT_TIMEOUT)));
  it('ends on the inter-digit timeout with the digits so far', () =>
    given(...h, b.dtmfReceived('A', '1', 'D1'))
      .when(b.recordCollectTimeout('D1', 1))
      .then(b.digitsCollected('A', 'D1', '1', R.COLLECT_END_REASON_INTER_DIGIT_TIMEOUT)));
  it('ignores a timer made stale by a later digit', () =>
    given(...h, b.dtmfReceived('A', '1', 'D1'))
      .when(b.recordCollectTimeout('D1', 0))
      .thenNothing());
  it('refuses a second collection on the leg', () =>
    given(...h)
      .when(b.collectDigits('A', { newId: 'D2', key: 'k-2' }))
      .thenThrows(IllegalStateError, /already collects/));
  it('answers a replay of the key with the first collect id', () =>
    given(...h)
      .when(b.collectDigits('A', { newId: 'D2' }))
      .thenResult('D1'));
  it('refuses the key for a different request', () =>
    given(...h)
      .when(b.collectDigits('A', { newId: 'D2', maxDigits: 2 }))
      .thenThrows(IdempotencyConflictError));
  it('is cancelled when the leg ends', () =>
    given(...h, b.dtmfReceived('A', '9', 'D1'))
      .when(b.hangup('A'))
      .then(
        b.digitsCollected('A', 'D1', '9', R.COLLECT_END_REASON_CANCELLED),
        b.legEnded('A', EndCause.END_CAUSE_LOCAL_HANGUP, 0, 'hangup requested'),
        b.callEnded(EndCause.END_CAUSE_LOCAL_HANGUP),
      ));
  it('says an unknown collection is not found', () =>
    given(...h)
      .when(b.recordCollectTimeout('D9', 0))
      .thenThrows(NotFoundError));
});

describe('digits: collection done', () => {
  const h = [
    ...b.answeredA(),
    b.collectStarted('A', 'D1'),
    b.digitsCollected('A', 'D1', '', R.COLLECT_END_REASON_FIRST_DIGIT_TIMEOUT),
  ];
  it('ignores a late timer', () =>
    given(...h)
      .when(b.recordCollectTimeout('D1', 0))
      .thenNothing());
  it('reports later digits outside any collection', () =>
    given(...h)
      .when(b.recordDtmf('A', '3'))
      .then(b.dtmfReceived('A', '3')));
  it('allows a new collection', () =>
    given(...h)
      .when(b.collectDigits('A', { newId: 'D2', key: 'k-2' }))
      .thenResult('D2'));
});

describe('echo', () => {
  it('starts on an answered leg', () =>
    given(...b.answeredA())
      .when(b.startEcho('A'))
      .then(b.echoStarted('A')));
  it('is a no-op when already running', () =>
    given(...b.answeredA(), b.echoStarted('A'))
      .when(b.startEcho('A'))
      .thenNothing());
  it('stops', () =>
    given(...b.answeredA(), b.echoStarted('A'))
      .when(b.stopEcho('A'))
      .then(b.echoStopped('A')));
  it('treats a stop with no echo as done', () =>
    given(...b.answeredA())
      .when(b.stopEcho('A'))
      .thenNothing());
  it('refuses a ringing leg', () =>
    given(...b.outboundRinging())
      .when(b.startEcho('A'))
      .thenThrows(IllegalStateError, /only an answered leg can echo/));
  it('refuses a bridged leg', () =>
    given(...b.bothAnswered(), b.legsBridged('A', 'B'))
      .when(b.startEcho('A'))
      .thenThrows(IllegalStateError, /bridged/));
});
