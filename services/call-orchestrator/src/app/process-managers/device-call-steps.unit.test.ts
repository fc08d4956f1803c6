// Given a call's events, the device-call steps due: the process manager's decisions read off the log alone.
import { callEvents } from '@callctl/proto';
import type { CallEvent } from '../../domain/call.events.js';
import { foldEvents } from '../../domain/call.state.js';
import * as b from '../../domain/testing/builders.js';
import {
  callerStatusOf,
  deviceCallSteps,
  deviceDialKey,
  dialTargetOfRoute,
  type DeviceCallStep,
} from './device-call-steps.js';

const { EndCause } = callEvents;
const given = (...events: CallEvent[]) => ({
  thenSteps: (...expected: DeviceCallStep[]) => expect(deviceCallSteps(foldEvents(events))).toEqual(expected),
});

const device = { user: 'alice@pbx.example.com', routedTo: 'bob@pbx.example.com' };
/** Alice's phone calls (A, ringing) and is routed to bob. */
const offered = () => [b.callCreated('', 0), b.legInitiated('A', 'in', '', device), b.legRinging('A')];
/** The platform dialled bob (B) through A under the device call's key. */
const dialled = () => [
  ...offered(),
  b.dialRequested('B', 'A', deviceDialKey('A'), 'sip:bob@pbx.example.com'),
];
const ringing = () => [...dialled(), b.legInitiated('B', 'out', 'sip-b'), b.legRinging('B')];
/** The caller A refused with this status and cause. */
const refused = (sipStatus: number, reason: string, cause: callEvents.EndCause): DeviceCallStep => ({
  kind: 'rejectCaller',
  callerLegId: 'A',
  sipStatus,
  reason,
  cause,
});
const dial: DeviceCallStep = {
  kind: 'dial',
  callerLegId: 'A',
  toUri: 'sip:bob@pbx.example.com',
  fromUri: 'sip:app@127.0.0.1',
};

describe("device call: the caller's phone is offered", () => {
  it('dials where the dial plan routes it, through the caller', () => given(...offered()).thenSteps(dial));
  it("dials nothing for a call that is no device's (a trunk, an allowed address)", () => {
    given(
      b.callCreated('', 0),
      b.legInitiated('A', 'in', '', { trunk: 'carrier' }),
      b.legRinging('A'),
    ).thenSteps();
    given(...b.inboundRinging()).thenSteps();
  });
  it('dials nothing once the application answered or rejected the caller itself', () => {
    given(...offered(), b.legAnswered('A')).thenSteps();
    given(
      ...offered(),
      b.legEnded('A', EndCause.END_CAUSE_REJECTED, 603),
      b.callEnded(EndCause.END_CAUSE_REJECTED),
    ).thenSteps();
  });
});

describe('device call: the callee is dialled', () => {
  it('has nothing to do while the callee rings (sip-edge relays its 180 to the caller)', () =>
    given(...ringing()).thenSteps());
  it('has nothing to do when the callee answers (sip-edge answers the caller, the log bridges them)', () =>
    given(...ringing(), b.legAnswered('B')).thenSteps());
  it("refuses the caller with the callee's cause and status when the callee fails", () =>
    given(...ringing(), b.legEnded('B', EndCause.END_CAUSE_BUSY, 486)).thenSteps(
      refused(486, 'Busy Here', EndCause.END_CAUSE_BUSY),
    ));
  it('refuses the caller 480 NOT_REGISTERED when the user has no registered phone', () =>
    given(...dialled(), b.legEnded('B', EndCause.END_CAUSE_NOT_REGISTERED, 480)).thenSteps(
      refused(480, 'Temporarily Unavailable', EndCause.END_CAUSE_NOT_REGISTERED),
    ));
  it('refuses the caller 404 NO_ROUTE when the dial plan has no route', () =>
    given(...dialled(), b.legEnded('B', EndCause.END_CAUSE_NO_ROUTE, 0)).thenSteps(
      refused(404, 'Not Found', EndCause.END_CAUSE_NO_ROUTE),
    ));
  it('hangs the callee up when the caller cancels while it rings', () =>
    given(...ringing(), b.legEnded('A', EndCause.END_CAUSE_CANCELLED, 487)).thenSteps({
      kind: 'hangupCallee',
      calleeLegId: 'B',
      callerLegId: 'A',
    }));
  it('has nothing to do once both have ended', () =>
    given(
      ...ringing(),
      b.legEnded('A', EndCause.END_CAUSE_CANCELLED, 487),
      b.legEnded('B', EndCause.END_CAUSE_BRIDGE_PEER_ENDED),
      b.callEnded(EndCause.END_CAUSE_CANCELLED),
    ).thenSteps());
  it("hangs up a callee that answered as the caller's CANCEL crossed the answer (never bridged)", () =>
    given(...ringing(), b.legAnswered('B'), b.legEnded('A', EndCause.END_CAUSE_CANCELLED, 487)).thenSteps({
      kind: 'hangupCallee',
      calleeLegId: 'B',
      callerLegId: 'A',
    }));
  it("leaves an answered callee's end to the bridge (its peer's end ends it)", () =>
    given(
      ...ringing(),
      b.legAnswered('B'),
      b.legAnswered('A'),
      b.legsBridged('A', 'B', 'BR1', ''),
      b.legEnded('A', EndCause.END_CAUSE_REMOTE_HANGUP),
    ).thenSteps());
});

describe('callerStatusOf: what the caller hears when the callee fails', () => {
  it.each([
    [EndCause.END_CAUSE_BUSY, 486, 486],
    [EndCause.END_CAUSE_REJECTED, 603, 603],
    [EndCause.END_CAUSE_UNREACHABLE, 404, 404],
    [EndCause.END_CAUSE_UNREACHABLE, 408, 408],
    // The platform's own CANCEL (ring timeout): no answer.
    [EndCause.END_CAUSE_NO_ANSWER, 487, 480],
    [EndCause.END_CAUSE_NO_ANSWER, 0, 480],
    // A gateway's 503 upstream would say "this server is unavailable" (RFC 3261 16.7).
    [EndCause.END_CAUSE_UNREACHABLE, 503, 500],
    // The carrier's challenge was the platform's to answer.
    [EndCause.END_CAUSE_UNREACHABLE, 407, 480],
    [EndCause.END_CAUSE_UNREACHABLE, 0, 480],
    [EndCause.END_CAUSE_NO_ROUTE, 0, 404],
    [EndCause.END_CAUSE_NOT_REGISTERED, 0, 480],
    [EndCause.END_CAUSE_PLATFORM_FAILURE, 0, 500],
    [EndCause.END_CAUSE_LOCAL_HANGUP, 0, 480],
  ])('cause %s, status %s: %s', (cause, sipStatus, expected) =>
    expect(callerStatusOf(cause, sipStatus)).toBe(expected),
  );
});

describe('dialTargetOfRoute', () => {
  it.each([
    ['bob@pbx.example.com', 'sip:bob@pbx.example.com'],
    ['sip:bob@pbx.example.com', 'sip:bob@pbx.example.com'],
    ['tel:+442071234567', 'tel:+442071234567'],
    ['+442071234567', '+442071234567'],
    ['02071234567', '02071234567'],
  ])('dials %s as %s', (route, target) => expect(dialTargetOfRoute(route)).toBe(target));
});
