import { given } from '../../testing/decider-spec';
import * as b from '../../testing/builders';
const { EndCause } = b;
const MEDIA_TIMEOUT = EndCause.END_CAUSE_MEDIA_TIMEOUT;

describe('media loss: one answered leg, its session vanishes', () => {
  it('records the loss on the leg, hangs it up with MEDIA_TIMEOUT and ends the call', () =>
    given(...b.answeredA())
      .when(b.recordMediaSessionLost())
      .then(
        b.legMediaLost('A'),
        b.legEnded('A', MEDIA_TIMEOUT, 0, b.LOST_REASON),
        b.callEnded(MEDIA_TIMEOUT),
      ));
  it('only records the loss when the configured action is record', () =>
    given(...b.answeredA())
      .when(b.recordMediaSessionLost('record'))
      .then(b.legMediaLost('A')));
  it('keeps the leg answered when it only records', () =>
    given(...b.answeredA())
      .when(b.recordMediaSessionLost('record'))
      .thenState((s) => expect(s.status === 'active' && s.legs['A']?.status).toBe('answered')));
  it('ignores a session no leg of the call is in', () =>
    given(...b.answeredA())
      .when(b.recordMediaSessionLost('hangup', 'another-session'))
      .thenNothing());
});

describe('media loss: recorded already', () => {
  it('records nothing for a repeated report of the same loss', () =>
    given(...b.answeredA(), b.legMediaLost('A'))
      .when(b.recordMediaSessionLost('record'))
      .thenNothing());
  it('records nothing for a leg that ended meanwhile', () =>
    given(...b.bothAnswered(), b.legEnded('A', EndCause.END_CAUSE_REMOTE_HANGUP))
      .when(b.recordMediaSessionLost('record'))
      .then(b.legMediaLost('B')));
  it('records nothing after the call ended', () =>
    given(
      ...b.answeredA(),
      b.legEnded('A', EndCause.END_CAUSE_REMOTE_HANGUP),
      b.callEnded(EndCause.END_CAUSE_REMOTE_HANGUP),
    )
      .when(b.recordMediaSessionLost())
      .thenNothing());
});

describe('media loss: two legs in the session', () => {
  it('records the loss on both, then ends both and the call', () =>
    given(...b.bothAnswered())
      .when(b.recordMediaSessionLost())
      .then(
        b.legMediaLost('A'),
        b.legMediaLost('B'),
        b.legEnded('A', MEDIA_TIMEOUT, 0, b.LOST_REASON),
        b.legEnded('B', MEDIA_TIMEOUT, 0, b.LOST_REASON),
        b.callEnded(MEDIA_TIMEOUT),
      ));
});
