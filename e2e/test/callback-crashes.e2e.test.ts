// Crashes around a callback (issue #17): kill -9 of the callback service while user1 and user2 talk (the
// cap still ends the call, RESPONSE arrives once with the bridged time), also with the call ending while the
// service is down (what it missed is read from CALL_EVENTS after the restart), and kill -9 of the
// orchestrator while user2 rings (the callback still completes). The duration is measured on the wire.
import { callbackEvents } from '@callctl/proto';
import { callbackUnderTest, viewOf } from '../support/callback-under-test.js';
import { bridgedSeconds, expectReleasedAtCap, type UserWire } from '../support/callback-users.js';

jest.setTimeout(90_000);

const CAUSE = callbackEvents.CallbackEndCause;
const rig = callbackUnderTest();
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
/** Time for a RESPONSE resent by mistake to show (the service's retry is 500 ms). */
const QUIET_MS = 2500;

/**
 * The callback's one RESPONSE: its real duration is the time `bridgedOn` was bridged on the wire (within a
 * second), no second one follows, and the callback's view agrees. Returns the real duration.
 */
async function expectReportedOnce(
  iifId: string,
  callbackId: string,
  bridgedOn: UserWire,
  cause: callbackEvents.CallbackEndCause,
): Promise<number> {
  const realDuration = Number((await rig.response(iifId)).params.real_duration);
  expect(Math.abs(realDuration - bridgedSeconds(bridgedOn))).toBeLessThanOrEqual(1);
  await sleep(QUIET_MS);
  expect(rig.iif().all('RESPONSE', iifId)).toHaveLength(1);
  expect(await viewOf(rig, callbackId)).toMatchObject({ endCause: cause, realDurationS: realDuration });
  return realDuration;
}

describe('crashes during a callback', () => {
  it('kill -9 of the callback service while the users talk: the call still ends at its cap, RESPONSE once', async () => {
    const user1 = await rig.users().user('1svc', { kind: 'answers' });
    const user2 = await rig.users().user('2svc', { kind: 'answers' });
    const callbackId = await rig.startOverIif('svc-crash', user1, user2, { duration: 7 });
    await rig.event('bridged', (e) => e.event.bridged.callbackId === callbackId);
    await rig.talk(user1, user2);

    await rig.killService();
    await sleep(1000);
    await rig.startService();
    // They still talk: the call is the platform's, not the service's.
    await rig.talk(user1, user2);

    const wire1 = await rig.wireOf(user1);
    const wire2 = await rig.wireOf(user2);
    expectReleasedAtCap(wire1, wire2, 7);
    await expectReportedOnce('svc-crash', callbackId, wire2, CAUSE.CALLBACK_END_CAUSE_MAX_DURATION);
    expect(rig.kindsOf(callbackId).filter((kind) => kind === 'ended')).toHaveLength(1);
  });

  it('kill -9 of the callback service, and the call ends while it is down: after the restart RESPONSE arrives once', async () => {
    const user1 = await rig.users().user('1down', { kind: 'answers' });
    const user2 = await rig.users().user('2down', { kind: 'answers-then-hangs-up', quietMs: 3000 });
    const callbackId = await rig.startOverIif('svc-down', user1, user2, { duration: 60 });
    await rig.event('bridged', (e) => e.event.bridged.callbackId === callbackId);
    await rig.talk(user1, user2);

    await rig.killService();
    // user2 hangs up and the platform releases user1, all while the service is down.
    await rig.wireOf(user2);
    await rig.wireOf(user1);
    await rig.p().event('callEnded', (e) => e.event.callEnded.clientState === `callback:${callbackId}`);
    expect(rig.iif().all('RESPONSE', 'svc-down')).toEqual([]);
    await rig.startService();

    await expectReportedOnce(
      'svc-down',
      callbackId,
      await rig.wireOf(user2),
      CAUSE.CALLBACK_END_CAUSE_USER2_HANGUP,
    );
  });

  it('kill -9 of the orchestrator while user2 rings: the callback still connects them and ends at its cap', async () => {
    const user1 = await rig.users().user('1orch', { kind: 'answers' });
    const user2 = await rig.users().user('2orch', { kind: 'answers', ringMs: 2000 });
    const callbackId = await rig.startOverIif('orch-crash', user1, user2, { duration: 8 });
    await rig.event('user2Ringing', (e) => e.event.user2Ringing.callbackId === callbackId);

    // Down for longer than user2 still rings: its answer waits in the platform's facts for the restart.
    await rig.p().killOrchestrator();
    await sleep(3000);
    await rig.p().startOrchestrator();

    await rig.event('bridged', (e) => e.event.bridged.callbackId === callbackId, 30_000);
    await rig.talk(user1, user2);
    const wire1 = await rig.wireOf(user1);
    const wire2 = await rig.wireOf(user2);
    expectReleasedAtCap(wire1, wire2, 8);
    const realDuration = await expectReportedOnce(
      'orch-crash',
      callbackId,
      wire2,
      CAUSE.CALLBACK_END_CAUSE_MAX_DURATION,
    );
    expect(realDuration).toBeGreaterThan(0);
  });
});
