import { callEvents } from '@callctl/proto';
import { IdempotencyConflictError, IllegalStateError, NotFoundError, ValidationError } from './errors';
import { given } from './testing/decider-spec';
import * as b from './testing/builders';
import { foldEvents } from './call.state';
import { isHoldMusic, holdMusicPlaybackId } from './capabilities/holds/holds.state';
import { legHeldEvent, legResumedEvent } from './capabilities/holds/hold-events';
import type { Active } from './call.guards';

const { EndCause } = b;
const { INITIATOR_API: API, INITIATOR_REMOTE: REMOTE } = callEvents.Initiator;
const bridged = () => [...b.bothAnswered(), b.legsBridged('A', 'B')];

describe('HoldLeg', () => {
  it('records the hold with its music, whether the peer hears it, and the key', () => {
    given(...bridged())
      .when(b.holdLeg('A', { toPeer: true }))
      .thenResult('A', b.legHeld('A', { toPeer: true }));
    given(...b.answeredA())
      .when(b.holdLeg('A', { music: '' }))
      .then(b.legHeld('A', { music: '' }));
  });
  it('puts the hold on the leg: by the API, with its music', () =>
    given(...bridged())
      .when(b.holdLeg('B'))
      .thenState((s) =>
        expect(s.status === 'active' && s.legs.B?.hold).toEqual({
          by: API,
          musicUri: b.MUSIC,
          musicToPeer: false,
          direction: '',
          transferId: '',
        }),
      ));
  it('records nothing for a leg the API holds already, nor for a retry of the key', () => {
    given(...bridged(), b.legHeld('A'))
      .when(b.holdLeg('A', { key: 'k-other' }))
      .thenResult('A', ...[]);
    given(...bridged(), b.legHeld('A'), b.legResumed('A'))
      .when(b.holdLeg('A'))
      .thenResult('A', ...[]);
  });
  it('counts held speech as the same request whatever the tts answered', () =>
    given(...bridged(), b.legHeld('A', { music: 'tts:m-1' }))
      .when(b.holdLeg('A', { music: 'tts:m-2' }))
      .thenNothing());
  it('refuses another request under a key used already', () =>
    given(...bridged(), b.legHeld('A'))
      .when(b.holdLeg('A', { music: 'https://example.com/other.wav' }))
      .thenThrows(IdempotencyConflictError));
  it('takes over the hold of a phone that held the platform itself', () =>
    given(...bridged(), b.legHeldByPhone('A'))
      .when(b.holdLeg('A'))
      .then(b.legHeld('A')));
  it('refuses what the contract refuses', () => {
    given().when(b.holdLeg('A')).thenThrows(NotFoundError);
    given(...bridged())
      .when(b.holdLeg('X'))
      .thenThrows(NotFoundError);
    given(...b.outboundRinging())
      .when(b.holdLeg('A'))
      .thenThrows(IllegalStateError, /only an answered leg can be held/);
    given(...bridged(), b.legEnded('B', EndCause.END_CAUSE_REMOTE_HANGUP))
      .when(b.holdLeg('B'))
      .thenThrows(IllegalStateError);
    given(...bridged())
      .when({ ...b.holdLeg('A'), metadata: { now: 1, newId: 'n' } })
      .thenThrows(ValidationError, /idempotency key/);
  });
});

describe('ResumeLeg', () => {
  it('ends the API hold', () => {
    given(...bridged(), b.legHeld('A'))
      .when(b.resumeLeg('A'))
      .then(b.legResumed('A'));
    given(...bridged(), b.legHeld('A'))
      .when(b.resumeLeg('A'))
      .thenState((s) => expect(s.status === 'active' && s.legs.A?.hold).toBeUndefined());
  });
  it('is OK, recording nothing, for a leg the API does not hold', () => {
    given(...bridged())
      .when(b.resumeLeg('A'))
      .thenNothing();
    given(...bridged(), b.legHeld('A'), b.legResumed('A'))
      .when(b.resumeLeg('A'))
      .thenNothing();
    given(...bridged(), b.legHeldByPhone('A'))
      .when(b.resumeLeg('A'))
      .thenNothing();
    given(...b.bothAnswered(), b.legHeld('A'), b.legEnded('A', EndCause.END_CAUSE_REMOTE_HANGUP))
      .when(b.resumeLeg('A'))
      .thenNothing();
  });
  it("leaves a consultation's hold to the consultation", () =>
    given(...bridged(), b.legHeld('A', { transferId: 'T1' }))
      .when(b.resumeLeg('A'))
      .thenThrows(IllegalStateError, /consultation T1/));
  it('refuses an unknown leg', () =>
    given(...bridged())
      .when(b.resumeLeg('X'))
      .thenThrows(NotFoundError));
});

describe("a phone's own hold (LegHoldChanged)", () => {
  it('records LegHeld by REMOTE with the direction offered, then LegResumed by REMOTE', () => {
    given(...bridged())
      .when(b.recordLegHoldChanged('B', true, 'sendonly'))
      .then(b.legHeldByPhone('B', 'sendonly'));
    given(...bridged(), b.legHeldByPhone('B'))
      .when(b.recordLegHoldChanged('B', false, 'sendrecv'))
      .then(b.legResumed('B', REMOTE));
  });
  it('records a change between sendonly and inactive, and nothing for the same direction again', () => {
    given(...bridged(), b.legHeldByPhone('B', 'sendonly'))
      .when(b.recordLegHoldChanged('B', true, 'inactive'))
      .then(b.legHeldByPhone('B', 'inactive'));
    given(...bridged(), b.legHeldByPhone('B', 'inactive'))
      .when(b.recordLegHoldChanged('B', true, 'inactive'))
      .thenNothing();
  });
  it('changes nothing of a hold by the API, nor resumes a leg that was not held', () => {
    given(...bridged(), b.legHeld('B'))
      .when(b.recordLegHoldChanged('B', true, 'inactive'))
      .thenNothing();
    given(...bridged(), b.legHeld('B'))
      .when(b.recordLegHoldChanged('B', false, 'sendrecv'))
      .thenNothing();
    given(...bridged())
      .when(b.recordLegHoldChanged('B', false, 'sendrecv'))
      .thenNothing();
  });
  it('is a late report on a leg or call that ended: nothing', () => {
    given(...bridged(), b.legEnded('B', EndCause.END_CAUSE_REMOTE_HANGUP))
      .when(b.recordLegHoldChanged('B', true, 'sendonly'))
      .thenNothing();
    given(
      ...b.answeredA(),
      b.legEnded('A', EndCause.END_CAUSE_REMOTE_HANGUP),
      b.callEnded(EndCause.END_CAUSE_REMOTE_HANGUP),
    )
      .when(b.recordLegHoldChanged('A', true, 'sendonly'))
      .thenNothing();
    given()
      .when(b.recordLegHoldChanged('A', true, 'sendonly'))
      .thenThrows(NotFoundError);
  });
});

describe('a held leg and bridges', () => {
  it('refuses to bridge a leg the API holds, or to dial a leg to be bridged with it, until it is resumed', () => {
    const third = [b.legInitiated('C'), b.legAnswered('C')];
    given(...b.bothAnswered(), ...third, b.legHeld('C'))
      .when(b.bridgeLegs('A', 'C'))
      .thenThrows(IllegalStateError, /leg C is on hold; resume it/);
    given(...b.answeredA(), b.legHeld('A'))
      .when(b.dial('A'))
      .thenThrows(IllegalStateError, /leg A is on hold/);
    given(...b.bothAnswered(), ...third, b.legHeld('C'), b.legResumed('C'))
      .when(b.bridgeLegs('A', 'C'))
      .thenResult('BR1');
  });
  it("lets a phone's own hold be bridged: the phone resumes itself", () =>
    given(...b.bothAnswered(), b.legHeldByPhone('B'))
      .when(b.bridgeLegs('A', 'B'))
      .thenResult('BR1'));
});

describe('hold events for other capabilities (a consultation)', () => {
  const s = foldEvents(bridged()) as Active;
  it('builds LegHeld and LegResumed with the transfer that holds the leg', () => {
    expect(legHeldEvent(s, 'A', { by: API, musicUri: b.MUSIC, transferId: 'T1', key: 'k-hold' })).toEqual(
      b.legHeld('A', { transferId: 'T1' }),
    );
    expect(legResumedEvent(s, 'A', { by: API, transferId: 'T1' })).toEqual(b.legResumed('A', API, 'T1'));
  });
});

describe('hold music', () => {
  it('has playback ids of its own, per held leg and listener, which the playback log never records', () => {
    expect(holdMusicPlaybackId('A', 'A')).not.toBe(holdMusicPlaybackId('A', 'B'));
    expect(isHoldMusic(holdMusicPlaybackId('A', 'B'))).toBe(true);
    expect(isHoldMusic('0190c0de-0000-7000-8000-000000000000')).toBe(false);
  });
  it("records nothing when the worker reports the music's end", () =>
    given(...bridged(), b.legHeld('A'))
      .when({
        type: 'RecordPlaybackFinished',
        data: { playbackId: holdMusicPlaybackId('A', 'A'), failed: false },
        metadata: b.meta(),
      })
      .thenNothing());
});
