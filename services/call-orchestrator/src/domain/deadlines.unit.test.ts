// Deadlines are data for the process managers, computed from the command's `now` (1000 in the builders).
import { given } from './testing/decider-spec';
import * as b from './testing/builders';

describe('deadlines', () => {
  it('starts the ring timeout of a new outbound call', () =>
    given().when(b.createCall('A')).thenDeadlines({ kind: 'ringTimeout', legId: 'A', atMs: 31_000 }));
  it('starts the ring timeout of a dialled leg', () =>
    given(...b.answeredA())
      .when(b.dial('A', 'B'))
      .thenDeadlines({ kind: 'ringTimeout', legId: 'B', atMs: 31_000 }));
  it('starts the maximum duration on the first answer', () =>
    given(...b.outboundRinging())
      .when(b.recordLegAnswered('A'))
      .thenDeadlines({ kind: 'maxDuration', atMs: 61_000 }));
  it('does not restart the maximum duration on a later answer', () =>
    given(...b.answeredA(), b.legInitiated('B'))
      .when(b.recordLegAnswered('B'))
      .thenDeadlines());
  it('has no maximum duration when the call has no limit', () =>
    given(...b.inboundRinging())
      .when(b.answerLeg('A'))
      .thenDeadlines());
  it('starts the first-digit timeout with a collection', () =>
    given(...b.answeredA())
      .when(b.collectDigits('A'))
      .thenDeadlines({ kind: 'collectTimeout', collectId: 'D1', expectedDigits: 0, atMs: 6_000 }));
  it('restarts the inter-digit timeout at each digit, armed at the digit count', () =>
    given(...b.answeredA(), b.collectStarted('A', 'D1'), b.dtmfReceived('A', '1', 'D1'))
      .when(b.recordDtmf('A', '2'))
      .thenDeadlines({ kind: 'collectTimeout', collectId: 'D1', expectedDigits: 2, atMs: 4_000 }));
  it('sets no timer once the collection ended', () =>
    given(...b.answeredA(), b.collectStarted('A', 'D1', { maxDigits: 1 }))
      .when(b.recordDtmf('A', '2'))
      .thenDeadlines());
});
