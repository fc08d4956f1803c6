// SendDtmf, in-band detection, and the maximum duration of an inbound call set on its answer.
import { callEvents } from '@callctl/proto';
import type { CallCommand } from './call.commands';
import { decide } from './call.decide';
import { foldEvents } from './call.state';
import { IdempotencyConflictError, IllegalStateError, ValidationError } from './errors';
import { given } from './testing/decider-spec';
import * as b from './testing/builders';
const { DtmfMethod: M } = callEvents;

describe('SendDtmf', () => {
  it('records DtmfSent with the method left for the effect to say (never guessed)', () =>
    given(...b.answeredA())
      .when(b.sendDtmf('A', '12#'))
      .then(b.dtmfSent('A', '12#', M.DTMF_METHOD_UNSPECIFIED)));
  it('takes 0 as 100 ms and keeps a given duration', () => {
    given(...b.answeredA())
      .when(b.sendDtmf('A', '1', 0))
      .then(b.dtmfSent('A', '1', M.DTMF_METHOD_UNSPECIFIED, 100));
    given(...b.answeredA())
      .when(b.sendDtmf('A', '1', 250))
      .then(b.dtmfSent('A', '1', M.DTMF_METHOD_UNSPECIFIED, 250));
  });
  it.each([
    ['', /1-32 keys/],
    ['1'.repeat(33), /1-32 keys/],
    ['12X4', /"X" is not a DTMF key/],
    ['e', /"e" is not a DTMF key/],
  ])('refuses the digits %j', (digits, message) =>
    given(...b.answeredA())
      .when(b.sendDtmf('A', digits))
      .thenThrows(ValidationError, message),
  );
  it.each([39, 2001])('refuses a tone of %d ms', (ms) =>
    given(...b.answeredA())
      .when(b.sendDtmf('A', '1', ms))
      .thenThrows(ValidationError, /duration_ms must be 40-2000/),
  );
  it('requires an idempotency key', () =>
    given(...b.answeredA())
      .when(b.sendDtmf('A', '1', 0, ''))
      .thenThrows(ValidationError, /idempotency key/));
  it('requires an answered leg', () =>
    given(...b.outboundRinging())
      .when(b.sendDtmf('A', '1'))
      .thenThrows(IllegalStateError));
  it('answers a replay with the method recorded, and refuses the key for other digits', () => {
    const h = [...b.answeredA(), b.dtmfSent('A', '12', M.DTMF_METHOD_INFO)];
    given(...h)
      .when(b.sendDtmf('A', '12'))
      .thenResult('DTMF_METHOD_INFO');
    given(...h)
      .when(b.sendDtmf('A', '12'))
      .thenNothing();
    given(...h)
      .when(b.sendDtmf('A', '13'))
      .thenThrows(IdempotencyConflictError);
  });
});

describe('in-band DTMF detection', () => {
  const inband = (events: ReturnType<typeof b.answeredA>) => {
    const s = foldEvents(events);
    return s.status === 'none' ? undefined : s.legs.A?.inbandDtmf;
  };
  it('turns on for an answered leg and is kept in the leg', () => {
    given(...b.answeredA())
      .when(b.setDtmfDetection('A', true))
      .then(b.dtmfDetectionChanged('A', true));
    expect(inband([...b.answeredA(), b.dtmfDetectionChanged('A', true)])).toBe(true);
  });
  it('records nothing when it is already as asked (off by default)', () => {
    given(...b.answeredA())
      .when(b.setDtmfDetection('A', false))
      .thenNothing();
    given(...b.answeredA(), b.dtmfDetectionChanged('A', true))
      .when(b.setDtmfDetection('A', true))
      .thenNothing();
  });
  it('turns off again', () =>
    given(...b.answeredA(), b.dtmfDetectionChanged('A', true))
      .when(b.setDtmfDetection('A', false))
      .then(b.dtmfDetectionChanged('A', false)));
  it('requires an answered leg', () =>
    given(...b.outboundRinging())
      .when(b.setDtmfDetection('A', true))
      .thenThrows(IllegalStateError));
});

describe('AnswerLeg: maximum duration and in-band detection', () => {
  const answer = (data: Partial<Extract<CallCommand, { type: 'AnswerLeg' }>['data']>): CallCommand => {
    const c = b.answerLeg('A');
    return c.type === 'AnswerLeg' ? { ...c, data: { ...c.data, ...data } } : c;
  };
  const inbound = b.inboundRinging();
  it('records CallMaxDurationSet before the answer and arms the max-duration deadline', () => {
    given(...inbound)
      .when(answer({ maxDurationMs: 30_000 }))
      .then({ type: 'CallMaxDurationSet', data: { ...b.base, maxDurationMs: 30_000 } }, b.legAnswered('A'));
    given(...inbound)
      .when(answer({ maxDurationMs: 30_000 }))
      .thenDeadlines({ kind: 'maxDuration', atMs: 31_000 });
  });
  it('keeps the call limit in its state (hang-up deadline, re-armed after a restart)', () =>
    given(...inbound)
      .when(answer({ maxDurationMs: 30_000 }))
      .thenState((s) => expect(s.status !== 'none' && s.maxDurationMs).toBe(30_000)));
  it('records nothing about the limit when it is the call’s already, and arms none for 0', () => {
    given(...inbound)
      .when(answer({ maxDurationMs: 0 }))
      .then(b.legAnswered('A'));
    given(...inbound)
      .when(answer({ maxDurationMs: 0 }))
      .thenDeadlines();
  });
  it("arms the platform's limit an inbound call got from its offer, recording nothing more", () => {
    const offered = b.recordInboundCall('A');
    const withLimit =
      offered.type === 'RecordInboundCall'
        ? { ...offered, data: { ...offered.data, maxDurationMs: 90_000 } }
        : offered;
    const created = decide(withLimit, foldEvents([])).events;
    expect(created[0]).toMatchObject({ type: 'CallCreated', data: { maxDurationMs: 90_000 } });
    given(...created)
      .when(answer({ maxDurationMs: 90_000 }))
      .then(b.legAnswered('A'));
    given(...created)
      .when(answer({ maxDurationMs: 90_000 }))
      .thenDeadlines({ kind: 'maxDuration', atMs: 91_000 });
  });
  it('turns on in-band detection from the answer when asked', () =>
    given(...inbound)
      .when(answer({ detectInbandDtmf: true }))
      .then(b.legAnswered('A'), b.dtmfDetectionChanged('A', true)));
});
