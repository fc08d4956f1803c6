// Three-way calls (issue 16) through the public API, with real sipp callers, callees and third parties
// whose RTP the test owns, rtpengine, the mixer service, NATS and PostgreSQL: AddParticipant FULL (all
// three hear each other), LISTEN (the participant hears both parties, they do not hear it), RemoveParticipant
// (the parties back on their direct path, the participant's tone gone, its phone hung up), the call's end
// removing the participant, a busy participant, bad input, and kill -9 of the orchestrator (mid-add) and of
// the mixer (mid three-way). Caller 700 Hz, callee 1300 Hz, participant 2000 Hz.
import { callControl, callEvents } from '@callctl/proto';
import { RtpEndpoint, type RunningSipp } from '@callctl/testing';
import {
  CALLEE_HZ,
  CALLER_HZ,
  callParties,
  hears as hearsTones,
  sleep,
  THIRD_HZ,
  TONE_ABSENT,
  TONE_DETECTED,
  TONE_PRESENT,
  type ConnectedCall,
} from '../support/call-parties.js';
import { startPlatform, type PlatformUnderTest } from '../support/platform-under-test.js';

jest.setTimeout(60_000);

const PARTICIPANT_HZ = THIRD_HZ;
const MODE = callEvents.ParticipantMode;
const REASON = callEvents.ParticipantRemovedReason;

describe('three-way calls through the public API', () => {
  let p: PlatformUnderTest;
  const parties = callParties(() => p);
  const { rtpEndpoint, sipp, mediaOf, connectedCall, legOf } = parties;

  beforeAll(async () => {
    p = await startPlatform({}, { mixer: true });
  }, 60_000);
  afterEach(() => parties.cleanUp());
  afterAll(async () => {
    await p?.close();
  });

  interface Third {
    participantId: string;
    legId: string;
    /** The participant's phone: a UAS that answers (or is busy) and expects the platform's BYE. */
    sipp: RunningSipp;
    rtp: RtpEndpoint;
  }

  /** A third party's phone (sipp UAS at an RtpEndpoint) and AddParticipant dialling it. */
  async function addParticipant(
    callId: string,
    mode: callEvents.ParticipantMode,
    scenario = 'uas-answers-expect-bye.xml',
  ): Promise<Third> {
    const rtp = await rtpEndpoint();
    const phone = await sipp(scenario, rtp.port);
    const added = await p.api.addParticipant({
      callId,
      target: `sip:third@127.0.0.1:${phone.port}`,
      fromUri: '',
      mode,
      ringTimeoutMs: 10_000,
      idempotencyKey: `participant-${callId}-${phone.port}`,
    });
    expect(added.participantId).toBeTruthy();
    expect(added.legId).toBeTruthy();
    return { ...added, sipp: phone, rtp };
  }

  /** Waits for ParticipantAdded, then the participant sends 2000 Hz to where rtpengine receives its leg. */
  async function participantAnswered(third: Third): Promise<void> {
    const added = await p.event(
      'participantAdded',
      (e) => e.event.participantAdded.participantId === third.participantId,
    );
    expect(added.event.participantAdded.legId).toBe(third.legId);
    third.rtp.useRemote(await p.edge.rtpengineSideOf(await mediaOf(third.legId)));
    third.rtp.startTone(PARTICIPANT_HZ);
  }

  const participantRemoved = (participantId: string) =>
    p.event('participantRemoved', (e) => e.event.participantRemoved.participantId === participantId, 15_000);

  const hears = (label: string, rtp: RtpEndpoint, check: (ratio: (hz: number) => number) => boolean) =>
    hearsTones(label, rtp, check, [CALLER_HZ, CALLEE_HZ, PARTICIPANT_HZ]);

  /** The parties hear each other alone (their direct path), the participant's tone gone. */
  const partiesAlone = async (call: ConnectedCall) => {
    await hears(
      'the caller hears only the callee',
      callerOf(call),
      (r) => r(CALLEE_HZ) > TONE_DETECTED && r(PARTICIPANT_HZ) < TONE_ABSENT,
    );
    await hears(
      'the callee hears only the caller',
      call.calleeRtp,
      (r) => r(CALLER_HZ) > TONE_DETECTED && r(PARTICIPANT_HZ) < TONE_ABSENT,
    );
  };

  const callerOf = (call: ConnectedCall): RtpEndpoint => {
    if (!(call.callerRtp instanceof RtpEndpoint)) throw new Error('a PCMU caller is needed here');
    return call.callerRtp;
  };

  it('FULL: all three hear each other; RemoveParticipant hangs the participant up and the parties talk directly again', async () => {
    const call = await connectedCall('tw-full');
    const caller = callerOf(call);
    const third = await addParticipant(call.callId, MODE.PARTICIPANT_MODE_UNSPECIFIED);
    await participantAnswered(third);
    expect(await legOf(call.callId, third.legId)).toMatchObject({
      role: callEvents.LegRole.LEG_ROLE_PARTICIPANT,
      participantId: third.participantId,
      state: callControl.LegState.LEG_STATE_ANSWERED,
    });
    const added = p
      .eventsOf(call.callId)
      .find((e) => e.event?.$case === 'participantAdded' && e.event.participantAdded.legId === third.legId);
    expect(added?.event?.$case === 'participantAdded' && added.event.participantAdded.mode).toBe(
      MODE.PARTICIPANT_MODE_FULL,
    );

    await hears(
      'the participant hears both parties',
      third.rtp,
      (r) => r(CALLER_HZ) > TONE_PRESENT && r(CALLEE_HZ) > TONE_PRESENT,
    );
    await hears(
      'the caller hears the callee and the participant',
      caller,
      (r) => r(CALLEE_HZ) > TONE_PRESENT && r(PARTICIPANT_HZ) > TONE_PRESENT,
    );
    await hears(
      'the callee hears the caller and the participant',
      call.calleeRtp,
      (r) => r(CALLER_HZ) > TONE_PRESENT && r(PARTICIPANT_HZ) > TONE_PRESENT,
    );
    // Nobody hears their own tone back from the mixer.
    expect(third.rtp.recentToneRatio(PARTICIPANT_HZ)).toBeLessThan(TONE_ABSENT);
    expect(caller.recentToneRatio(CALLER_HZ)).toBeLessThan(TONE_ABSENT);
    expect(call.calleeRtp.recentToneRatio(CALLEE_HZ)).toBeLessThan(TONE_ABSENT);

    await p.api.removeParticipant({ callId: call.callId, participantId: third.participantId });
    const removed = await participantRemoved(third.participantId);
    expect(removed.event.participantRemoved).toMatchObject({
      legId: third.legId,
      reason: REASON.PARTICIPANT_REMOVED_REASON_REMOVED,
    });
    // The participant's phone got the platform's BYE.
    p.edge.expectSippSucceeded(await third.sipp.result);
    expect(await legOf(call.callId, third.legId)).toMatchObject({
      state: callControl.LegState.LEG_STATE_ENDED,
    });
    // The parties hear each other alone again (direct path), the participant's tone gone.
    await partiesAlone(call);
    // Removing it again is OK, and the call is still up with both parties answered.
    await p.api.removeParticipant({ callId: call.callId, participantId: third.participantId });
    for (const legId of [call.callerLeg, call.calleeLeg])
      expect(await legOf(call.callId, legId)).toMatchObject({
        state: callControl.LegState.LEG_STATE_ANSWERED,
      });
    await p.api.hangup({ callId: call.callId });
  });

  it('LISTEN: the participant hears both parties, they do not hear it; the call ending removes it (CALL_ENDED) and hangs it up', async () => {
    const call = await connectedCall('tw-listen');
    const caller = callerOf(call);
    const third = await addParticipant(call.callId, MODE.PARTICIPANT_MODE_LISTEN);
    await participantAnswered(third);
    await hears(
      'the participant hears both parties',
      third.rtp,
      (r) => r(CALLER_HZ) > TONE_PRESENT && r(CALLEE_HZ) > TONE_PRESENT,
    );
    await sleep(2000);
    expect(caller.recentToneRatio(PARTICIPANT_HZ, 2000)).toBeLessThan(TONE_ABSENT);
    expect(call.calleeRtp.recentToneRatio(PARTICIPANT_HZ, 2000)).toBeLessThan(TONE_ABSENT);
    expect(caller.recentToneRatio(CALLEE_HZ)).toBeGreaterThan(TONE_DETECTED);
    expect(call.calleeRtp.recentToneRatio(CALLER_HZ)).toBeGreaterThan(TONE_DETECTED);

    await p.api.hangup({ callId: call.callId });
    const removed = await participantRemoved(third.participantId);
    expect(removed.event.participantRemoved.reason).toBe(REASON.PARTICIPANT_REMOVED_REASON_CALL_ENDED);
    p.edge.expectSippSucceeded(await third.sipp.result);
    await p.event('callEnded', (e) => e.event.callEnded.callId === call.callId);
    expect(await legOf(call.callId, third.legId)).toMatchObject({
      state: callControl.LegState.LEG_STATE_ENDED,
    });
  });

  it('a busy participant is removed as FAILED (486); one that hangs up as HANGUP; the two parties talk on', async () => {
    const call = await connectedCall('tw-leaves');
    const caller = callerOf(call);
    const busy = await addParticipant(call.callId, MODE.PARTICIPANT_MODE_FULL, 'uas-busy.xml');
    const failed = await participantRemoved(busy.participantId);
    expect(failed.event.participantRemoved).toMatchObject({
      reason: REASON.PARTICIPANT_REMOVED_REASON_FAILED,
      sipStatus: 486,
    });
    expect(p.eventsOf(call.callId).some((e) => e.event?.$case === 'participantAdded')).toBe(false);
    await sleep(500);
    expect(caller.recentToneRatio(CALLEE_HZ)).toBeGreaterThan(TONE_DETECTED);
    expect(call.calleeRtp.recentToneRatio(CALLER_HZ)).toBeGreaterThan(TONE_DETECTED);

    // A participant that answers, is heard, and hangs up 4 s later (its BYE): HANGUP, and the parties hear
    // each other alone again.
    const leaving = await addParticipant(call.callId, MODE.PARTICIPANT_MODE_FULL, 'uas-answers-then-bye.xml');
    await participantAnswered(leaving);
    await hears('the caller hears the participant', caller, (r) => r(PARTICIPANT_HZ) > TONE_PRESENT);
    const left = await participantRemoved(leaving.participantId);
    expect(left.event.participantRemoved.reason).toBe(REASON.PARTICIPANT_REMOVED_REASON_HANGUP);
    p.edge.expectSippSucceeded(await leaving.sipp.result);
    await partiesAlone(call);
    for (const legId of [call.callerLeg, call.calleeLeg])
      expect(await legOf(call.callId, legId)).toMatchObject({
        state: callControl.LegState.LEG_STATE_ANSWERED,
      });
    await p.api.hangup({ callId: call.callId });
  });

  it('refuses bad input with nothing dialled', async () => {
    const add = (over: Partial<callControl.AddParticipantRequest>) =>
      p.api.addParticipant({
        callId: 'no-such-call',
        target: 'sip:third@127.0.0.1:5999',
        fromUri: '',
        mode: MODE.PARTICIPANT_MODE_FULL,
        ringTimeoutMs: 1000,
        idempotencyKey: 'tw-bad',
        ...over,
      });
    await expect(add({})).rejects.toMatchObject({ code: 'NOT_FOUND' });
    await expect(
      p.api.removeParticipant({ callId: 'no-such-call', participantId: 'x' }),
    ).rejects.toMatchObject({ code: 'NOT_FOUND' });

    const callerRtp = await rtpEndpoint();
    await sipp('uac-answered-expect-bye.xml', callerRtp.port, { service: 'tw-bad' });
    const inbound = await p.event('legInitiated', (e) => e.event.legInitiated.toUri.includes('sip:tw-bad@'));
    const { callId, legId } = inbound.event.legInitiated;
    // Ringing, not answered: no conversation to join.
    await expect(add({ callId })).rejects.toMatchObject({ code: 'FAILED_PRECONDITION' });
    await p.api.answerLeg({ callId, legId });
    await p.event('legAnswered', (e) => e.event.legAnswered.legId === legId);
    await expect(add({ callId, target: 'not a uri' })).rejects.toMatchObject({ code: 'INVALID_ARGUMENT' });
    await expect(add({ callId, idempotencyKey: '' })).rejects.toMatchObject({ code: 'INVALID_ARGUMENT' });
    await expect(add({ callId, mode: 9 as callEvents.ParticipantMode })).rejects.toMatchObject({
      code: 'INVALID_ARGUMENT',
    });
    await expect(p.api.removeParticipant({ callId, participantId: 'unknown' })).rejects.toMatchObject({
      code: 'NOT_FOUND',
    });
    expect(
      p
        .eventsOf(callId)
        .filter((e) => e.event?.$case === 'dialRequested' || e.event?.$case === 'participantAdded'),
    ).toEqual([]);
    await p.api.hangup({ callId });
  });

  it('kill -9 of the orchestrator while the participant is dialled: after its restart the participant is added and mixed, and removable', async () => {
    const call = await connectedCall('tw-orchestrator-killed');
    const caller = callerOf(call);
    const third = await addParticipant(call.callId, MODE.PARTICIPANT_MODE_FULL);
    // The INVITE is out; its answer (and whatever media steps followed) meet a dead orchestrator.
    await p.killOrchestrator();
    await p.startOrchestrator();
    await participantAnswered(third);
    await hears(
      'the participant hears both parties',
      third.rtp,
      (r) => r(CALLER_HZ) > TONE_PRESENT && r(CALLEE_HZ) > TONE_PRESENT,
    );
    await hears('the caller hears the participant', caller, (r) => r(PARTICIPANT_HZ) > TONE_PRESENT);
    await hears('the callee hears the participant', call.calleeRtp, (r) => r(PARTICIPANT_HZ) > TONE_PRESENT);
    expect(p.eventsOf(call.callId).filter((e) => e.event?.$case === 'participantAdded')).toHaveLength(1);
    await p.api.removeParticipant({ callId: call.callId, participantId: third.participantId });
    p.edge.expectSippSucceeded(await third.sipp.result);
    await partiesAlone(call);
    await p.api.hangup({ callId: call.callId });
  });

  // Last: it kills the mixer (started again at the end for whatever follows).
  it('kill -9 of the mixer mid three-way: the parties hear each other directly again, ParticipantRemoved MIXER_FAILED, the participant hung up', async () => {
    const call = await connectedCall('tw-mixer-killed');
    const third = await addParticipant(call.callId, MODE.PARTICIPANT_MODE_FULL);
    await participantAnswered(third);
    await hears('the callee hears the participant', call.calleeRtp, (r) => r(PARTICIPANT_HZ) > TONE_PRESENT);

    await p.edge.killMixer();
    await partiesAlone(call);
    const removed = await participantRemoved(third.participantId);
    expect(removed.event.participantRemoved.reason).toBe(REASON.PARTICIPANT_REMOVED_REASON_MIXER_FAILED);
    p.edge.expectSippSucceeded(await third.sipp.result);
    expect(await legOf(call.callId, third.legId)).toMatchObject({
      state: callControl.LegState.LEG_STATE_ENDED,
    });
    for (const legId of [call.callerLeg, call.calleeLeg])
      expect(await legOf(call.callId, legId)).toMatchObject({
        state: callControl.LegState.LEG_STATE_ANSWERED,
      });
    await p.api.hangup({ callId: call.callId });
    await p.edge.startMixer();
  });
});
