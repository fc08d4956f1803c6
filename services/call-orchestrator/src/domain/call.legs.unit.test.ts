import { IdempotencyConflictError, IllegalStateError, NotFoundError, ValidationError } from './errors';
import { given } from './testing/decider-spec';
import * as b from './testing/builders';
const { EndCause } = b;

describe('call: none yet', () => {
  it('creates an outbound call with its first leg requested (nothing to bridge to)', () =>
    given()
      .when(b.createCall('A'))
      .then(b.callCreated(), b.dialRequested('A', '', '')));
  it('initiates the first leg once, when its INVITE has left', () =>
    given(b.callCreated(), b.dialRequested('A', '', ''))
      .when(b.recordLegInitiated('A', 'sip-1'))
      .then(b.legInitiated('A', 'out', 'sip-1')));
  it('records nothing when the INVITE is reported twice', () =>
    given(b.callCreated(), b.dialRequested('A', '', ''), b.legInitiated('A', 'out', 'sip-1'))
      .when(b.recordLegInitiated('A', 'sip-1'))
      .thenNothing());
  it('returns the new leg id', () => given().when(b.createCall('A')).thenResult('A'));
  it('refuses a CreateCall without an idempotency key', () =>
    given().when(b.createCall('A', '')).thenThrows(ValidationError));
  it('refuses a destination that is neither a URI nor a number', () =>
    given()
      .when(b.createCall('A', 'k', 'alice'))
      .thenThrows(ValidationError, /SIP URI \(sip:, sips:\), a tel: URI or a number/));
  it.each(['tel:+442071234567', '+442071234567', '02071234567', 'sip:alice@pbx.example.com'])(
    'calls %s: sip-edge routes numbers and platform users by the dial plan',
    (toUri) =>
      given()
        .when(b.createCall('A', 'k-create', toUri))
        .then(b.callCreated(), b.dialRequested('A', '', '', toUri)),
  );
  it('records an inbound call as created, initiated and ringing', () =>
    given()
      .when(b.recordInboundCall('A'))
      .then(b.callCreated('', 0), b.legInitiated('A', 'in'), b.legRinging('A')));
  it('says the call does not exist for any other command', () =>
    given().when(b.answerLeg('A')).thenThrows(NotFoundError));
  it('treats a hangup of an unknown call as not found', () =>
    given().when(b.hangup()).thenThrows(NotFoundError));
});

describe('call: created (idempotency of CreateCall)', () => {
  it('answers a replay of the same key with the first leg and no events', () =>
    given(b.callCreated('k-create'), b.legInitiated('A'))
      .when(b.createCall('X', 'k-create'))
      .thenResult('A'));
  it('answers a replay after the call ended', () =>
    given(
      ...b.outboundRinging(),
      b.legEnded('A', EndCause.END_CAUSE_BUSY, 486),
      b.callEnded(EndCause.END_CAUSE_BUSY),
    )
      .when(b.createCall('X', 'k-create'))
      .thenResult('A'));
  it('refuses the same key for another destination', () =>
    given(b.callCreated('k-create'), b.legInitiated('A'))
      .when(b.createCall('X', 'k-create', 'sip:other@127.0.0.1'))
      .thenThrows(IdempotencyConflictError, /different request/));
  it('emits nothing on the replay', () =>
    given(b.callCreated('k-create'), b.legInitiated('A')).when(b.createCall('X', 'k-create')).thenNothing());
  it('refuses another CreateCall for the same call id', () =>
    given(b.callCreated('k-create')).when(b.createCall('X', 'other')).thenThrows(IllegalStateError));
  it('ignores a second report of the same inbound INVITE', () =>
    given(...b.inboundRinging())
      .when(b.recordInboundCall('A'))
      .thenNothing());
});

describe('leg: initiated (outbound)', () => {
  const h = [b.callCreated(), b.legInitiated('A')];
  it('records the Call-ID of the INVITE once sent', () =>
    given(...h)
      .when(b.recordLegInitiated('A', 'sip-1'))
      .then(b.legInitiated('A', 'out', 'sip-1')));
  it('ignores a repeated report of the sent INVITE', () =>
    given(...h, b.legInitiated('A', 'out', 'sip-1'))
      .when(b.recordLegInitiated('A', 'sip-1'))
      .thenNothing());
  it('keeps the dial target of a dialled leg when its INVITE is reported', () =>
    given(...b.answeredA(), b.dialRequested('B', 'A'), b.legInitiated('B', 'out', 'sip-2'))
      .when(b.recordLegAnswered('B', 'BR1'))
      .then(b.legAnswered('B'), b.legsBridged('A', 'B', 'BR1', '')));
  it('rings when the far end sends 180', () =>
    given(...h)
      .when(b.recordLegRinging('A'))
      .then(b.legRinging('A')));
  it('records early media from 183', () =>
    given(...h)
      .when(b.recordLegRinging('A', true))
      .then(b.legRinging('A', true)));
  it('is answered when the far end sends 200', () =>
    given(...h)
      .when(b.recordLegAnswered('A'))
      .then(b.legAnswered('A')));
  it('ends the call when the only leg is busy', () =>
    given(...h)
      .when(b.recordLegEnded('A', EndCause.END_CAUSE_BUSY, 486, 'Busy Here'))
      .then(
        b.legEnded('A', EndCause.END_CAUSE_BUSY, 486, 'Busy Here'),
        b.callEnded(EndCause.END_CAUSE_BUSY),
      ));
  it('records the Reason header the far end sent with what ended the leg (RFC 3326)', () => {
    const busy = { protocol: 'Q.850', cause: 17, text: 'User busy' };
    return given(...h)
      .when(b.recordLegEnded('A', EndCause.END_CAUSE_BUSY, 486, 'Busy Here', busy))
      .then(
        b.legEnded('A', EndCause.END_CAUSE_BUSY, 486, 'Busy Here', busy),
        b.callEnded(EndCause.END_CAUSE_BUSY),
      );
  });
  it('cannot be answered by the application', () =>
    given(...h)
      .when(b.answerLeg('A'))
      .thenThrows(IllegalStateError, /outbound/));
});

describe('leg: ringing (outbound)', () => {
  it('ignores a repeated 180', () =>
    given(...b.outboundRinging())
      .when(b.recordLegRinging('A'))
      .thenNothing());
  it('records the switch to early media', () =>
    given(...b.outboundRinging())
      .when(b.recordLegRinging('A', true))
      .then(b.legRinging('A', true)));
  it('is cancelled by a hangup and ends the call', () =>
    given(...b.outboundRinging())
      .when(b.hangup('A'))
      .then(
        b.legEnded('A', EndCause.END_CAUSE_LOCAL_HANGUP, 0, 'hangup requested'),
        b.callEnded(EndCause.END_CAUSE_LOCAL_HANGUP),
      ));
  it('ends with no answer after the ring timeout', () =>
    given(...b.outboundRinging())
      .when(b.recordLegEnded('A', EndCause.END_CAUSE_NO_ANSWER, 487))
      .then(b.legEnded('A', EndCause.END_CAUSE_NO_ANSWER, 487), b.callEnded(EndCause.END_CAUSE_NO_ANSWER)));
  it('cannot be bridged', () =>
    given(...b.outboundRinging(), b.legInitiated('B'), b.legAnswered('B'))
      .when(b.bridgeLegs('A', 'B'))
      .thenThrows(IllegalStateError, /leg A is ringing; only an answered leg can be bridged/));
  it('cannot play media', () =>
    given(...b.outboundRinging())
      .when(b.playMedia('A'))
      .thenThrows(IllegalStateError, /ringing/));
});

describe('leg: ringing (inbound)', () => {
  it('is answered by the application', () =>
    given(...b.inboundRinging())
      .when(b.answerLeg('A'))
      .then(b.legAnswered('A')));
  it('takes a new client_state on answer', () =>
    given(...b.inboundRinging())
      .when(b.answerLeg('A', 'ivr-1'))
      .then(b.legAnswered('A', 'ivr-1')));
  it('echoes the new client_state on later events', () =>
    given(...b.inboundRinging(), b.legAnswered('A', 'ivr-1'))
      .when(b.startEcho('A'))
      .then({ type: 'EchoStarted', data: { callId: b.CALL, legId: 'A', clientState: 'ivr-1' } }));
  it('is rejected with the given SIP status', () =>
    given(...b.inboundRinging())
      .when(b.rejectLeg('A', 486, 'Busy Here'))
      .then(
        b.legEnded('A', EndCause.END_CAUSE_REJECTED, 486, 'Busy Here'),
        b.callEnded(EndCause.END_CAUSE_REJECTED),
      ));
  it('refuses a reject status outside 400-699', () =>
    given(...b.inboundRinging())
      .when(b.rejectLeg('A', 200))
      .thenThrows(ValidationError));
  it('ends as cancelled when the caller gives up', () =>
    given(...b.inboundRinging())
      .when(b.recordLegEnded('A', EndCause.END_CAUSE_CANCELLED, 487))
      .then(b.legEnded('A', EndCause.END_CAUSE_CANCELLED, 487), b.callEnded(EndCause.END_CAUSE_CANCELLED)));
  it('says an unknown leg is not found', () =>
    given(...b.inboundRinging())
      .when(b.answerLeg('Z'))
      .thenThrows(NotFoundError));
});

describe('leg: answered', () => {
  it('refuses a second answer', () =>
    given(...b.inboundRinging(), b.legAnswered('A'))
      .when(b.answerLeg('A'))
      .thenThrows(IllegalStateError, /answered/));
  it('refuses a reject', () =>
    given(...b.inboundRinging(), b.legAnswered('A'))
      .when(b.rejectLeg('A'))
      .thenThrows(IllegalStateError));
  it('ignores a duplicate 200 after a restart', () =>
    given(...b.answeredA())
      .when(b.recordLegAnswered('A'))
      .thenNothing());
  it('ignores a late 180', () =>
    given(...b.answeredA())
      .when(b.recordLegRinging('A'))
      .thenNothing());
  it('ends on BYE from the far end', () =>
    given(...b.answeredA())
      .when(b.recordLegEnded('A', EndCause.END_CAUSE_REMOTE_HANGUP))
      .then(
        b.legEnded('A', EndCause.END_CAUSE_REMOTE_HANGUP),
        b.callEnded(EndCause.END_CAUSE_REMOTE_HANGUP),
      ));
  it('ends at the maximum duration', () =>
    given(...b.answeredA())
      .when(b.recordLegEnded('A', EndCause.END_CAUSE_MAX_DURATION))
      .then(b.legEnded('A', EndCause.END_CAUSE_MAX_DURATION), b.callEnded(EndCause.END_CAUSE_MAX_DURATION)));
  it('keeps the call when another leg is still up', () =>
    given(...b.bothAnswered())
      .when(b.hangup('B'))
      .then(b.legEnded('B', EndCause.END_CAUSE_LOCAL_HANGUP, 0, 'hangup requested')));
  it('hangs up every leg when no leg is named', () =>
    given(...b.bothAnswered())
      .when(b.hangup())
      .then(
        b.legEnded('A', EndCause.END_CAUSE_LOCAL_HANGUP, 0, 'hangup requested'),
        b.legEnded('B', EndCause.END_CAUSE_LOCAL_HANGUP, 0, 'hangup requested'),
        b.callEnded(EndCause.END_CAUSE_LOCAL_HANGUP),
      ));
});

describe('call: ended', () => {
  const h = [
    ...b.answeredA(),
    b.legEnded('A', EndCause.END_CAUSE_REMOTE_HANGUP),
    b.callEnded(EndCause.END_CAUSE_REMOTE_HANGUP),
  ];
  it('treats a hangup as done (safe retry)', () =>
    given(...h)
      .when(b.hangup())
      .thenNothing());
  it('ignores a duplicate BYE', () =>
    given(...h)
      .when(b.recordLegEnded('A', EndCause.END_CAUSE_REMOTE_HANGUP))
      .thenNothing());
  it('refuses media on an ended call', () =>
    given(...h)
      .when(b.playMedia('A'))
      .thenThrows(IllegalStateError, /has ended/));
  it('keeps the end cause in state', () =>
    given(...b.answeredA())
      .when(b.recordLegEnded('A', EndCause.END_CAUSE_REMOTE_HANGUP))
      .thenState((s) =>
        expect(s).toMatchObject({
          status: 'ended',
          cause: EndCause.END_CAUSE_REMOTE_HANGUP,
          legs: { A: { status: 'ended', sipStatus: 0 } },
        }),
      ));
});

describe('idempotency keys', () => {
  it('refuses the key of a CreateCall reused for a play', () =>
    given(...b.answeredA(), b.playbackStarted('A', 'P1', 'k-x'))
      .when(b.playMedia('A', 'P2', 'k-x', 'http://127.0.0.1/other.wav'))
      .thenThrows(IdempotencyConflictError));
});
