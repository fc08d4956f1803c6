import { IdempotencyConflictError, IllegalStateError, NotFoundError, ValidationError } from './errors';
import { settled } from './call.settled';
import { foldEvents } from './call.state';
import { decide } from './call.decide';
import { given } from './testing/decider-spec';
import * as b from './testing/builders';
import { callEvents } from '@callctl/proto';

const { LegDirection } = callEvents;
import { aorOf, siprecMetadata, uuidBase64 } from './capabilities/siprec/siprec.metadata';
import { recordedLegs } from './capabilities/siprec/siprec.state';

const { EndCause, SiprecStopReason: Stop } = b;
const S = 'srec-s1';
/** A deterministic stand-in of IdSource.fromName: FNV-1a of the parts, four times, as 32 hex digits. */
const nameUuid = (...parts: string[]): string => {
  const hex = [1, 2, 3, 4].map((seed) => {
    let h = 0x811c9dc5 ^ seed;
    for (const ch of parts.join('|')) h = Math.imul(h ^ ch.charCodeAt(0), 0x01000193) >>> 0;
    return h.toString(16).padStart(8, '0');
  });
  return hex.join('').replace(/^(.{8})(.{4})(.{4})(.{4})/, '$1-$2-$3-$4-');
};
const requested = () => [...b.bothAnswered(), b.siprecRequested(S, ['A', 'B'])];
const started = () => [...requested(), b.siprecStarted(S)];

describe('StartSiprec', () => {
  it('records the answered parties in label order and answers the siprec id', () =>
    given(...b.bothAnswered())
      .when(b.startSiprec({ headers: { 'X-Tenant': 'acme' } }))
      .thenResult(S, b.siprecRequested(S, ['A', 'B'], { headers: { 'X-Tenant': 'acme' } })));
  it('makes the id srec- and 32 hex digits from a UUID new id', () =>
    given(...b.answeredA())
      .when(b.startSiprec({}, '0190f3a2-7b4c-7d1e-8f00-0123456789ab'))
      .thenResult('srec-0190f3a27b4c7d1e8f000123456789ab'));
  it('leaves out legs that are not answered', () =>
    given(...b.answeredA(), b.legInitiated('B'), b.legRinging('B'))
      .when(b.startSiprec())
      .then(b.siprecRequested(S, ['A'])));
  it('refuses a call with no answered party (FAILED_PRECONDITION)', () =>
    given(...b.outboundRinging())
      .when(b.startSiprec())
      .thenThrows(IllegalStateError, /no answered party/));
  it.each([
    ['requested', requested],
    ['started', started],
    ['paused', () => [...started(), b.siprecPaused(S)]],
  ])('refuses a second one while one is %s (FAILED_PRECONDITION)', (_, history) =>
    given(...history())
      .when(b.startSiprec({}, 'S2'))
      .thenThrows(IllegalStateError, new RegExp(`already recorded by SIPREC ${S}`)),
  );
  it('starts another once the first ended', () =>
    given(...started(), b.siprecStopped(S))
      .when(b.startSiprec({}, 'S2'))
      .then(b.siprecRequested('srec-s2', ['A', 'B'])));
  it('refuses no SRS and more than 5', () => {
    given(...b.answeredA())
      .when(b.startSiprec({ srsUris: [] }))
      .thenThrows(ValidationError, /srs_uris/);
    given(...b.answeredA())
      .when(b.startSiprec({ srsUris: Array.from({ length: 6 }, (_, i) => `sip:s${i}@h`) }))
      .thenThrows(ValidationError, /srs_uris/);
  });
  it('answers a retry with the same key with the first id; another request under it is a conflict', () => {
    const history = [...b.bothAnswered(), b.siprecRequested(S, ['A', 'B'], { idempotencyKey: 'k1' })];
    given(...history)
      .when(b.startSiprec({}, 'S9', 'k1'))
      .thenResult(S);
    given(...history)
      .when(b.startSiprec({ srsUris: [b.SRS2] }, 'S9', 'k1'))
      .thenThrows(IdempotencyConflictError);
  });
  it('refuses an ended call', () =>
    given(
      ...b.answeredA(),
      b.legEnded('A', EndCause.END_CAUSE_REMOTE_HANGUP),
      b.callEnded(EndCause.END_CAUSE_REMOTE_HANGUP),
    )
      .when(b.startSiprec())
      .thenThrows(IllegalStateError));
});

describe("the driver's reports", () => {
  it('records a failed attempt once, then the second SRS starting', () => {
    given(...requested())
      .when(b.recordSiprecAttemptFailed(S, 1, b.SRS1, 503))
      .then(b.siprecAttemptFailed(S, b.SRS1, 503));
    given(...requested(), b.siprecAttemptFailed(S))
      .when(b.recordSiprecAttemptFailed(S, 1))
      .thenNothing();
    given(...requested(), b.siprecAttemptFailed(S))
      .when(b.recordSiprecStarted(S, 2, b.SRS2, 'rs-2'))
      .then(b.siprecStarted(S, b.SRS2, 'rs-2'));
  });
  it('records nothing for a start of an attempt that is not the current one', () =>
    given(...requested())
      .when(b.recordSiprecStarted(S, 2))
      .thenNothing());
  it('records SiprecFailed with the last status while requested only', () => {
    given(...requested(), b.siprecAttemptFailed(S), b.siprecAttemptFailed(S, b.SRS2, 408))
      .when(b.recordSiprecFailed(S, 408, 'no SRS answered'))
      .then(b.siprecFailed(S, 408, 'no SRS answered'));
    given(...started())
      .when(b.recordSiprecFailed(S))
      .thenNothing();
  });
  it('records nothing once the session was stopped meanwhile (a stop during the INVITE)', () =>
    given(...requested(), b.siprecStopped(S))
      .when(b.recordSiprecStarted(S, 1))
      .thenNothing());
  it('records nothing after the call ended', () =>
    given(
      ...requested(),
      b.legEnded('A', EndCause.END_CAUSE_REMOTE_HANGUP),
      b.callEnded(EndCause.END_CAUSE_REMOTE_HANGUP),
    )
      .when(b.recordSiprecStarted(S, 1))
      .thenNothing());
  it('records an update of a started session, not of a paused one', () => {
    given(...started())
      .when(b.recordSiprecUpdated(S, ['A', 'C']))
      .then(b.siprecUpdated(S, ['A', 'C']));
    given(...started(), b.siprecPaused(S))
      .when(b.recordSiprecUpdated(S, ['A']))
      .thenNothing();
  });
});

describe('PauseSiprec and ResumeSiprec', () => {
  it('pauses a started session; a paused one again is OK', () => {
    given(...started())
      .when(b.pauseSiprec(S))
      .then(b.siprecPaused(S));
    given(...started(), b.siprecPaused(S))
      .when(b.pauseSiprec(S))
      .thenNothing();
  });
  it('refuses to pause one not started yet or ended (FAILED_PRECONDITION), and an unknown one', () => {
    given(...requested())
      .when(b.pauseSiprec(S))
      .thenThrows(IllegalStateError, /requested/);
    given(...started(), b.siprecStopped(S))
      .when(b.pauseSiprec(S))
      .thenThrows(IllegalStateError);
    given(...started())
      .when(b.pauseSiprec('srec-x'))
      .thenThrows(NotFoundError);
  });
  it('resumes a paused session; a started one is OK', () => {
    given(...started(), b.siprecPaused(S))
      .when(b.resumeSiprec(S))
      .then(b.siprecResumed(S));
    given(...started())
      .when(b.resumeSiprec(S))
      .thenNothing();
  });
  it('records the parties of now with the resume when they changed during the pause', () =>
    given(...started(), b.siprecPaused(S), b.legInitiated('C'), b.legAnswered('C'))
      .when(b.resumeSiprec(S))
      .then(b.siprecResumed(S), b.siprecUpdated(S, ['A', 'B', 'C'])));
});

describe('StopSiprec and the ends', () => {
  it('stops a running session (REQUESTED); an ended one again is OK; an unknown is NOT_FOUND', () => {
    given(...started())
      .when(b.stopSiprec(S))
      .then(b.siprecStopped(S));
    given(...requested())
      .when(b.stopSiprec(S))
      .then(b.siprecStopped(S));
    given(...started(), b.siprecStopped(S))
      .when(b.stopSiprec(S))
      .thenNothing();
    given(...started())
      .when(b.stopSiprec('srec-x'))
      .thenThrows(NotFoundError);
  });
  it("records the SRS's BYE on the current session as SRS_ENDED with its status, the call untouched", () => {
    given(...started())
      .when(b.recordSiprecSessionEnded(`${S}-1`, 0))
      .then(b.siprecStopped(S, Stop.SIPREC_STOP_REASON_SRS_ENDED, 0));
    given(...requested(), b.siprecAttemptFailed(S), b.siprecStarted(S, b.SRS2))
      .when(b.recordSiprecSessionEnded(`${S}-2`, 481))
      .then(b.siprecStopped(S, Stop.SIPREC_STOP_REASON_SRS_ENDED, 481));
  });
  it('ignores the end of a session that is not the current one, or a repeat', () => {
    given(...started())
      .when(b.recordSiprecSessionEnded(`${S}-2`))
      .thenNothing();
    given(...started(), b.siprecStopped(S, Stop.SIPREC_STOP_REASON_SRS_ENDED))
      .when(b.recordSiprecSessionEnded(`${S}-1`))
      .thenNothing();
  });
  it('stops a running session with the call (CALL_ENDED), before CallEnded', () =>
    given(...started())
      .when(b.hangup())
      .thenState((s) => {
        expect(s.status).toBe('ended');
        expect(s.status !== 'none' && s.siprecs[S]?.status).toBe('stopped');
      }));
  it('puts SiprecStopped(CALL_ENDED) before CallEnded when the last party leaves', () => {
    const history = [...b.answeredA(), b.siprecRequested(S, ['A']), b.siprecStarted(S)];
    const events = decide(
      b.recordLegEnded('A', EndCause.END_CAUSE_REMOTE_HANGUP),
      foldEvents(history),
    ).events;
    expect(events.map((e) => e.type)).toEqual(['LegEnded', 'SiprecStopped', 'CallEnded']);
    expect(events[1]).toEqual(b.siprecStopped(S, Stop.SIPREC_STOP_REASON_CALL_ENDED));
  });
  it('leaves a session running when one party of several leaves', () =>
    given(...started(), b.legInitiated('C'), b.legAnswered('C'))
      .when(b.recordLegEnded('C', EndCause.END_CAUSE_REMOTE_HANGUP))
      .thenState((s) => expect(s.status !== 'none' && s.siprecs[S]?.status).toBe('started')));
  it('settles the reports of an ended session', () => {
    const state = foldEvents([...started(), b.siprecStopped(S)]);
    expect(settled(b.recordSiprecSessionEnded(`${S}-1`), state)).toBe(true);
    expect(settled(b.recordSiprecStarted(S, 1), state)).toBe(true);
    expect(settled(b.recordSiprecSessionEnded(`${S}-1`), foldEvents(started()))).toBe(false);
  });
});

describe('SIPREC metadata', () => {
  const state = foldEvents([
    ...b.inboundRinging(),
    b.legAnswered('A'),
    b.legInitiated('B', 'out', 'sip-b'),
    b.legAnswered('B'),
  ]);
  const legs = state.status === 'none' ? [] : recordedLegs(state);
  const m = siprecMetadata(b.CALL, S, legs, nameUuid);
  it('has one participant and one stream per leg, labels 1..n in leg order', () => {
    expect(m.streams.map((st) => st.label)).toEqual(['1', '2']);
    expect(m.participants.map((p) => p.aor)).toEqual(legs.map(aorOf));
  });
  it('takes the caller of an inbound leg and the callee of an outbound one as AOR', () => {
    expect(
      aorOf({ direction: LegDirection.LEG_DIRECTION_INBOUND, fromUri: 'sip:a@x', toUri: 'sip:ivr@x' }),
    ).toBe('sip:a@x');
    expect(
      aorOf({ direction: LegDirection.LEG_DIRECTION_OUTBOUND, fromUri: 'sip:app@x', toUri: 'sip:b@x' }),
    ).toBe('sip:b@x');
  });
  it('lets each participant send its own stream and receive the others', () => {
    const [s1, s2] = m.streams.map((st) => st.streamId);
    expect(m.participants.map((p) => [p.sendStreamIds, p.recvStreamIds])).toEqual([
      [[s1], [s2]],
      [[s2], [s1]],
    ]);
  });
  it('names the legs SIP Call-IDs and the call id', () => {
    expect(m.sipSessionIds).toEqual(legs.map((l) => l.sipCallId).filter(Boolean));
    expect(m.extensionData).toEqual({ callId: b.CALL });
  });
  it('uses base64 UUIDs derived from the ids: the same again, different per thing', () => {
    expect(Buffer.from(m.sessionId, 'base64')).toHaveLength(16);
    expect(siprecMetadata(b.CALL, S, legs, nameUuid)).toEqual(m);
    const ids = [
      m.sessionId,
      ...m.streams.map((st) => st.streamId),
      ...m.participants.map((p) => p.participantId),
    ];
    expect(new Set(ids).size).toBe(ids.length);
    expect(uuidBase64(nameUuid('x'))).toMatch(/^[A-Za-z0-9+/]{22}==$/);
  });
});
