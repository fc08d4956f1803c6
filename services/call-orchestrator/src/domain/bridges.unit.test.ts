import { IdempotencyConflictError, IllegalStateError, ValidationError } from './errors';
import { given } from './testing/decider-spec';
import * as b from './testing/builders';
const { EndCause } = b;

describe('bridge: two answered legs', () => {
  it('bridges them and returns the bridge id', () =>
    given(...b.bothAnswered())
      .when(b.bridgeLegs('A', 'B'))
      .thenResult('BR1', b.legsBridged('A', 'B')));
  it('stops an echo on a leg it takes', () =>
    given(...b.bothAnswered(), b.echoStarted('A'))
      .when(b.bridgeLegs('A', 'B'))
      .then(b.echoStopped('A'), b.legsBridged('A', 'B')));
  it('stops a prompt playing to a leg it takes, and leaves a finished one alone', () =>
    given(
      ...b.bothAnswered(),
      b.playbackStarted('A', 'P0', 'k-0'),
      b.playbackFinished('A', 'P0', b.PlaybackEndReason.PLAYBACK_END_REASON_COMPLETED),
      b.playbackStarted('B', 'P1', 'k-1'),
    )
      .when(b.bridgeLegs('A', 'B'))
      .then(
        b.playbackFinished('B', 'P1', b.PlaybackEndReason.PLAYBACK_END_REASON_STOPPED),
        b.legsBridged('A', 'B'),
      ));
  it('refuses a leg bridged with itself', () =>
    given(...b.bothAnswered())
      .when(b.bridgeLegs('A', 'A'))
      .thenThrows(ValidationError));
});

describe("bridge: sip-edge's LegsBridged fact", () => {
  it('records the bridge the command decided when its append never happened', () =>
    given(...b.bothAnswered(), b.playbackStarted('A', 'P1', 'k-1'))
      .when(b.recordLegsBridged('A', 'B'))
      .then(
        b.playbackFinished('A', 'P1', b.PlaybackEndReason.PLAYBACK_END_REASON_STOPPED),
        b.legsBridged('A', 'B'),
      ));
  it('changes nothing when the command recorded the bridge already', () =>
    given(...b.bothAnswered(), b.legsBridged('A', 'B'))
      .when(b.recordLegsBridged('A', 'B'))
      .then());
  it('lets a retry of the request find the bridge the fact recorded', () =>
    given(...b.bothAnswered(), b.legsBridged('A', 'B'))
      .when(b.bridgeLegs('A', 'B', 'BR2'))
      .thenResult('BR1'));
  it('leaves legs that have moved on as they are', () =>
    given(...b.bothAnswered(), b.legEnded('B', EndCause.END_CAUSE_REMOTE_HANGUP))
      .when(b.recordLegsBridged('A', 'B'))
      .then());
});

describe('bridge: active', () => {
  const h = [...b.bothAnswered(), b.legsBridged('A', 'B')];
  it('answers a replay of the key with the bridge id', () =>
    given(...h)
      .when(b.bridgeLegs('A', 'B', 'BR2'))
      .thenResult('BR1'));
  it('refuses the key for other legs', () =>
    given(...h, b.legInitiated('C'), b.legAnswered('C'))
      .when(b.bridgeLegs('A', 'C', 'BR2'))
      .thenThrows(IdempotencyConflictError));
  it('refuses a leg that is already bridged', () =>
    given(...h, b.legInitiated('C'), b.legAnswered('C'))
      .when(b.bridgeLegs('A', 'C', 'BR2', 'k-2'))
      .thenThrows(IllegalStateError, /already bridged/));
  it('ends when one leg hangs up, leaving the other up', () =>
    given(...h)
      .when(b.recordLegEnded('B', EndCause.END_CAUSE_REMOTE_HANGUP))
      .then(b.bridgeEnded('B'), b.legEnded('B', EndCause.END_CAUSE_REMOTE_HANGUP)));
  it('frees the remaining leg for an echo', () =>
    given(...h, b.bridgeEnded('B'), b.legEnded('B', EndCause.END_CAUSE_REMOTE_HANGUP))
      .when(b.startEcho('A'))
      .then(b.echoStarted('A')));
});

describe('dial: from an answered leg', () => {
  it('requests a new outbound leg and returns its id', () =>
    given(...b.answeredA())
      .when(b.dial('A', 'B'))
      .thenResult('B', b.dialRequested('B', 'A')));
  it('refuses a destination that is neither a sip:, sips: or tel: URI nor a number', () =>
    given(...b.answeredA())
      .when(b.dial('A', 'B', 'k', 'mailto:x'))
      .thenThrows(ValidationError, /to_uri must be a SIP URI/));
  it('dials a number or a platform user for sip-edge to route by the dial plan', () => {
    for (const toUri of ['+442071234567', 'tel:+442071234567', '0044207', 'sip:bob@pbx.example.com'])
      given(...b.answeredA())
        .when(b.dial('A', 'B', 'k-dial', toUri))
        .thenResult('B', b.dialRequested('B', 'A', 'k-dial', toUri));
  });
  it('refuses to bridge with a ringing outbound leg', () =>
    given(...b.outboundRinging())
      .when(b.dial('A', 'B'))
      .thenThrows(IllegalStateError, /leg A is ringing/));
  it('answers a replay with the first leg id', () =>
    given(...b.answeredA(), b.dialRequested('B', 'A'))
      .when(b.dial('A', 'X', 'k-dial', 'sip:B@127.0.0.1'))
      .thenResult('B'));
});

describe('dial: alone (no leg to bridge with)', () => {
  const h = [...b.answeredA(), b.dialRequested('B', ''), b.legInitiated('B'), b.legRinging('B')];
  it('requests a new outbound leg in the call', () =>
    given(...b.answeredA())
      .when(b.dial('', 'B'))
      .thenResult('B', b.dialRequested('B', '')));
  it('is answered without a bridge; BridgeLegs can join it with another leg', () =>
    given(...h)
      .when(b.recordLegAnswered('B'))
      .then(b.legAnswered('B')));
});

describe('dial: the dialled leg', () => {
  const h = [...b.answeredA(), b.dialRequested('B', 'A'), b.legInitiated('B'), b.legRinging('B')];
  it('is bridged with the requesting leg when it answers', () =>
    given(...h)
      .when(b.recordLegAnswered('B', 'BR1'))
      .then(b.legAnswered('B'), b.legsBridged('A', 'B', 'BR1', '')));
  it('is not bridged when the requesting leg ended meanwhile', () =>
    given(...h, b.legEnded('A', EndCause.END_CAUSE_REMOTE_HANGUP))
      .when(b.recordLegAnswered('B'))
      .then(b.legAnswered('B')));
  it('ends alone with no answer, leaving the call up', () =>
    given(...h)
      .when(b.recordLegEnded('B', EndCause.END_CAUSE_NO_ANSWER, 487))
      .then(b.legEnded('B', EndCause.END_CAUSE_NO_ANSWER, 487)));
});

describe('dial: from an inbound leg still ringing (B2BUA)', () => {
  const h = [...b.inboundRinging(), b.dialRequested('B', 'A'), b.legInitiated('B'), b.legRinging('B')];
  it('is accepted while the caller waits', () =>
    given(...b.inboundRinging())
      .when(b.dial('A', 'B'))
      .thenResult('B', b.dialRequested('B', 'A')));
  it('bridges when the caller is answered after the dialled leg', () =>
    given(...h, b.legAnswered('B'))
      .when(b.recordLegAnswered('A', 'BR1'))
      .then(b.legAnswered('A'), b.legsBridged('A', 'B', 'BR1', '')));
  it('bridges when the dialled leg is answered after the caller', () =>
    given(...h, b.legAnswered('A'))
      .when(b.recordLegAnswered('B', 'BR1'))
      .then(b.legAnswered('B'), b.legsBridged('A', 'B', 'BR1', '')));
  it('does not bridge while the other leg still rings', () =>
    given(...h)
      .when(b.recordLegAnswered('B'))
      .then(b.legAnswered('B')));
});

describe('hangup with a cause (process managers)', () => {
  it('ends every leg with the given cause', () =>
    given(...b.answeredA())
      .when(b.hangup(undefined, EndCause.END_CAUSE_MAX_DURATION, 'max duration'))
      .then(
        b.legEnded('A', EndCause.END_CAUSE_MAX_DURATION, 0, 'max duration'),
        b.callEnded(EndCause.END_CAUSE_MAX_DURATION),
      ));
});
