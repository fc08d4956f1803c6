// Hold and REFER through the whole platform with scripted sipp phones (the scenarios named in CONTRACT #16:
// refer-uas-success/busy, refer-uac(-replaces), hold-uac, glare-uas), over the public API: where a real
// phone does not do it (a NOTIFY sequence checked header by header, a Replaces naming no dialog, glare on
// purpose), sipp does. The sipp parties log what they were told; their RTP endpoints prove the audio.
import { callEvents } from '@callctl/proto';
import { waitFor } from '@callctl/testing';
import { CALLEE_HZ, CALLER_HZ } from '../support/call-parties.js';
import { phonesUnderTest, type SippParty } from '../support/phone-calls.js';

jest.setTimeout(90_000);

const C = callEvents.EndCause;
const F = callEvents.TransferFailureCause;
const TARGET_HZ = 1800;

describe('hold and REFER with scripted sipp phones', () => {
  const { p, calls, parties } = phonesUnderTest('transfers-sipp-e2e');

  /** A sipp caller (scenario `callerScenario`) dialled through to a sipp callee (`calleeScenario`). */
  const sippCall = async (
    service: string,
    scenarios: { caller?: string; callee?: string; callerArgs?: string[] } = {},
  ) => {
    const callee = await calls.party(`${service}-callee`, CALLEE_HZ, {
      ...(scenarios.callee ? { scenario: scenarios.callee } : {}),
    });
    const caller = await calls.party(`${service}-caller`, CALLER_HZ, {
      service,
      ...(scenarios.caller ? { scenario: scenarios.caller } : {}),
      args: scenarios.callerArgs ?? [],
    });
    const { callId, legId: callerLeg } = await parties.inboundCall(service);
    const calleeLeg = await calls.dialBridged(callId, callerLeg, `sip:callee@127.0.0.1:${callee.sipp.port}`);
    await p().event('legsBridged', (e) => e.event.legsBridged.callId === callId);
    return { callId, callerLeg, calleeLeg, caller, callee };
  };
  const talking = async (a: SippParty, b: SippParty) => {
    await calls.hears('the callee hearing the caller', () => b.recentToneRatio(a.hz));
    await calls.hears('the caller hearing the callee', () => a.recentToneRatio(b.hz));
  };
  /** The `label` lines of a party's log once there are `n` (sipp writes its log in its own time). */
  const loggedSoon = (party: SippParty, label: string, n = 1) =>
    waitFor(`${n} "${label}" lines`, () => party.logged(label).length >= n && party.logged(label), 5_000);
  const legEnded = (legId: string) => p().event('legEnded', (e) => e.event.legEnded.legId === legId);
  const hangUp = async (callId: string, ...all: SippParty[]) => {
    await p().api.hangup({ callId, legId: '' });
    for (const party of all) p().edge.expectSippSucceeded(await party.sipp.result);
  };
  const referOut = (callId: string, legId: string, target: string) =>
    p().api.transferLeg({
      callId,
      legId,
      target,
      mode: callEvents.TransferMode.TRANSFER_MODE_REFER,
      fromUri: '',
      timeoutMs: 0,
      releaseOnFailure: false,
      idempotencyKey: `refer-${legId}`,
    });

  it('TransferLeg REFER to refer-uas-success.xml: 202, NOTIFY 100 then 200, TransferCompleted, both legs hung up', async () => {
    const call = await sippCall('ts-refer-ok', { callee: 'refer-uas-success.xml' });
    await talking(call.caller, call.callee);
    const { transferId } = await referOut(call.callId, call.calleeLeg, 'sip:elsewhere@127.0.0.1:9');
    await p().event('transferCompleted', (e) => e.event.transferCompleted.transferId === transferId);
    expect(
      p()
        .eventsOf(call.callId)
        .filter((e) => e.event?.$case === 'transferProgress')
        .map((e) => (e.event?.$case === 'transferProgress' ? e.event.transferProgress.sipStatus : 0)),
    ).toContain(100);
    expect((await loggedSoon(call.callee, 'refer-to'))[0]).toContain('sip:elsewhere@127.0.0.1:9');
    expect((await loggedSoon(call.callee, 'referred-by'))[0]).toMatch(/sip:/);
    expect((await legEnded(call.calleeLeg)).event.legEnded.cause).toBe(C.END_CAUSE_TRANSFERRED);
    await legEnded(call.callerLeg);
    p().edge.expectSippSucceeded(await call.callee.sipp.result);
    p().edge.expectSippSucceeded(await call.caller.sipp.result);
  });

  it('TransferLeg REFER to refer-uas-busy.xml: NOTIFY 486, TransferFailed TARGET_BUSY, the call goes on', async () => {
    const call = await sippCall('ts-refer-busy', { callee: 'refer-uas-busy.xml' });
    const { transferId } = await referOut(call.callId, call.calleeLeg, 'sip:busy@127.0.0.1:9');
    const failed = await p().event('transferFailed', (e) => e.event.transferFailed.transferId === transferId);
    expect(failed.event.transferFailed).toMatchObject({
      cause: F.TRANSFER_FAILURE_CAUSE_TARGET_BUSY,
      sipStatus: 486,
    });
    await talking(call.caller, call.callee);
    await hangUp(call.callId, call.caller, call.callee);
  });

  it("refer-uac.xml's REFER: the platform dials the target, the NOTIFYs say 100 then 200 as RFC 3515 asks", async () => {
    const target = await calls.party('ts-refer-in-target', TARGET_HZ);
    const call = await sippCall('ts-refer-in', {
      caller: 'refer-uac.xml',
      callerArgs: ['-key', 'referto', `sip:target@127.0.0.1:${target.sipp.port}`],
    });
    const requested = await p().event(
      'transferRequested',
      (e) => e.event.transferRequested.callId === call.callId,
    );
    const transfer = requested.event.transferRequested;
    expect(transfer).toMatchObject({
      by: callEvents.Initiator.INITIATOR_REMOTE,
      transferorLegId: call.callerLeg,
      transfereeLegId: call.calleeLeg,
    });
    await p().event('transferCompleted', (e) => e.event.transferCompleted.transferId === transfer.transferId);
    await calls.hears('the callee hearing the target', () => call.callee.recentToneRatio(TARGET_HZ));
    await calls.hears('the target hearing the callee', () => target.recentToneRatio(CALLEE_HZ));
    p().edge.expectSippSucceeded(await call.caller.sipp.result);
    const notifies = call.caller.logged('notify');
    expect(notifies[0]).toMatch(
      /^notify 100 +active;expires=\d+ \| +refer;id=2 \| +message\/sipfrag(;version=2.0)? \| SIP\/2.0 100/,
    );
    expect(notifies.at(-1)).toMatch(
      /^notify 200 +terminated;reason=noresource \| +refer;id=2 \| .*SIP\/2.0 200/,
    );
    await hangUp(call.callId, call.callee, target);
  });

  it('refer-uac-replaces.xml naming no dialog the platform holds: 481, and the call goes on', async () => {
    const call = await sippCall('ts-refer-481', {
      caller: 'refer-uac-replaces.xml',
      callerArgs: [
        ...['-key', 'referto', 'sip:somebody@127.0.0.1:9'],
        ...['-key', 'replaces', 'no-such-call%3Bto-tag%3Dx%3Bfrom-tag%3Dy'],
      ],
    });
    await waitFor('the REFER refused', () => call.caller.logged('refer-refused').length > 0, 10_000);
    expect(call.caller.logged('refer-refused')).toEqual(['refer-refused 481']);
    expect(
      p()
        .eventsOf(call.callId)
        .some((e) => e.event?.$case === 'transferRequested'),
    ).toBe(false);
    await talking(call.caller, call.callee);
    await hangUp(call.callId, call.caller, call.callee);
  });

  it("hold-uac.xml's own hold and resume: LegHeld and LegResumed by REMOTE, passed on to the callee", async () => {
    const call = await sippCall('ts-hold-uac', { caller: 'hold-uac.xml' });
    const held = await p().event('legHeld', (e) => e.event.legHeld.legId === call.callerLeg);
    expect(held.event.legHeld).toMatchObject({
      by: callEvents.Initiator.INITIATOR_REMOTE,
      direction: 'sendonly',
    });
    await p().event('legResumed', (e) => e.event.legResumed.legId === call.callerLeg);
    expect(call.caller.logged('answered-direction').map((l) => l.split(' ')[1])).toEqual([
      'recvonly',
      'sendrecv',
    ]);
    expect(call.callee.logged('offered-direction').map((l) => l.split(' ')[1])).toEqual([
      'sendonly',
      'sendrecv',
    ]);
    await talking(call.caller, call.callee);
    await hangUp(call.callId, call.caller, call.callee);
  });

  it('glare-uas.xml: HoldLeg meets a re-INVITE of the phone; 491 both ways, then the retry holds it', async () => {
    const call = await sippCall('ts-glare', { callee: 'glare-uas.xml' });
    await p().api.holdLeg({
      callId: call.callId,
      legId: call.calleeLeg,
      musicToPeer: false,
      idempotencyKey: 'glare-1',
    });
    await p().event('legHeld', (e) => e.event.legHeld.legId === call.calleeLeg);
    // The retry, the only offer the phone answered: a hold without music is inactive.
    expect(await loggedSoon(call.callee, 'offered-direction')).toEqual(['offered-direction inactive']);
    expect(call.callee.logged('glare-own-491')).toHaveLength(1);
    expect(call.callee.logged('glare-platform-491-acked')).toHaveLength(1);
    await hangUp(call.callId, call.caller, call.callee);
  });
});
