// Where sip-edge routed a leg (trunk, platform user, a device's routed_to) and the attempts of an outbound
// leg through a trunk's gateways (LegAttemptFailed).
import { IllegalStateError, NotFoundError } from './errors';
import { given } from './testing/decider-spec';
import * as b from './testing/builders';
const { EndCause } = b;

const device = { user: 'alice@pbx.example.com', routedTo: 'bob@pbx.example.com' };

describe('leg: offered inbound through a trunk or by a device', () => {
  it('names the trunk an INVITE came from', () =>
    given()
      .when(b.recordInboundCall('A', { trunk: 'carrier' }))
      .then(b.callCreated('', 0), b.legInitiated('A', 'in', '', { trunk: 'carrier' }), b.legRinging('A')));
  it("names a device's user and where the dial plan routes its call", () =>
    given()
      .when(b.recordInboundCall('A', device))
      .then(b.callCreated('', 0), b.legInitiated('A', 'in', '', device), b.legRinging('A')));
  it('keeps them in the leg', () =>
    given()
      .when(b.recordInboundCall('A', device))
      .thenState((s) => expect(s.status === 'active' && s.legs['A']).toMatchObject(device)));
  it('says nothing of them for a call from an allowed address (no provisioning)', () =>
    given()
      .when(b.recordInboundCall('A'))
      .thenState((s) => {
        const leg = s.status === 'active' ? s.legs['A'] : undefined;
        expect(leg).toBeDefined();
        expect(leg).not.toHaveProperty('trunk');
        expect(leg).not.toHaveProperty('user');
        expect(leg).not.toHaveProperty('routedTo');
      }));
});

describe('leg: dialled out through a trunk or to a platform user', () => {
  const h = [b.callCreated(), b.dialRequested('A', '', '')];
  it('names the trunk the dial plan chose once the INVITE left', () =>
    given(...h)
      .when(b.recordLegInitiated('A', 'sip-1', { trunk: 'carrier' }))
      .then(b.legInitiated('A', 'out', 'sip-1', { trunk: 'carrier' })));
  it('names the platform user whose phones ring', () =>
    given(...h)
      .when(b.recordLegInitiated('A', 'sip-1', { user: 'bob@pbx.example.com' }))
      .then(b.legInitiated('A', 'out', 'sip-1', { user: 'bob@pbx.example.com' })));
  it('keeps the trunk when a later INVITE of the leg is reported without it', () =>
    given(...h, b.legInitiated('A', 'out', 'sip-1', { trunk: 'carrier' }))
      .when(b.recordLegInitiated('A', 'sip-2'))
      .then(b.legInitiated('A', 'out', 'sip-2', { trunk: 'carrier' })));
});

describe('leg: attempts through a trunk', () => {
  const h = [
    b.callCreated(),
    b.dialRequested('A', '', ''),
    b.legInitiated('A', 'out', 'sip-1', { trunk: 'carrier' }),
  ];
  it('records a failed attempt that fails over to the next gateway', () =>
    given(...h)
      .when(b.recordLegAttemptFailed('A', 1, 503))
      .then(b.legAttemptFailed('A', 1, 503)));
  it('records a timeout (no status) as well', () =>
    given(...h)
      .when(b.recordLegAttemptFailed('A', 1, 0))
      .then(b.legAttemptFailed('A', 1, 0)));
  it('records the next attempt, and the last one that does not fail over', () =>
    given(...h, b.legAttemptFailed('A', 1, 503))
      .when(b.recordLegAttemptFailed('A', 2, 408, false))
      .then(b.legAttemptFailed('A', 2, 408, false)));
  it('records nothing for an attempt reported twice, or an earlier one reported late', () => {
    given(...h, b.legAttemptFailed('A', 1), b.legAttemptFailed('A', 2))
      .when(b.recordLegAttemptFailed('A', 2))
      .thenNothing();
    given(...h, b.legAttemptFailed('A', 1), b.legAttemptFailed('A', 2))
      .when(b.recordLegAttemptFailed('A', 1))
      .thenNothing();
  });
  it('leaves the leg as it was (still trying: no LegEnded until sip-edge reports one)', () =>
    given(...h)
      .when(b.recordLegAttemptFailed('A', 1, 503))
      .thenState((s) => expect(s.status === 'active' && s.legs['A']?.status).toBe('initiated')));
  it('records nothing once the leg has ended', () =>
    given(
      ...h,
      b.legAttemptFailed('A', 1, 503, false),
      b.legEnded('A', EndCause.END_CAUSE_UNREACHABLE, 503),
      b.callEnded(EndCause.END_CAUSE_UNREACHABLE),
    )
      .when(b.recordLegAttemptFailed('A', 2))
      .thenNothing());
  it('refuses an attempt on a leg the call does not have', () =>
    given(...h)
      .when(b.recordLegAttemptFailed('Z', 1))
      .thenThrows(NotFoundError));
});

describe("leg: a device's caller refused with its callee's cause", () => {
  it('ends the caller with the cause given (NOT_REGISTERED, 480) instead of REJECTED', () =>
    given(b.callCreated('', 0), b.legInitiated('A', 'in', '', device), b.legRinging('A'))
      .when(b.rejectLeg('A', 480, 'Temporarily Unavailable', EndCause.END_CAUSE_NOT_REGISTERED))
      .then(
        b.legEnded('A', EndCause.END_CAUSE_NOT_REGISTERED, 480, 'Temporarily Unavailable'),
        b.callEnded(EndCause.END_CAUSE_NOT_REGISTERED),
      ));
  it('still ends it REJECTED without a cause (RejectLeg from the API)', () =>
    given(...b.inboundRinging())
      .when(b.rejectLeg('A', 486))
      .then(
        b.legEnded('A', EndCause.END_CAUSE_REJECTED, 486, 'Busy Here'),
        b.callEnded(EndCause.END_CAUSE_REJECTED),
      ));
  it('refuses to reject an answered caller', () =>
    given(...b.inboundRinging(), b.legAnswered('A'))
      .when(b.rejectLeg('A', 404, 'Not Found', EndCause.END_CAUSE_NO_ROUTE))
      .thenThrows(IllegalStateError));
});
