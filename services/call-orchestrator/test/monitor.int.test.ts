// Monitoring through the public API against the orchestrator wired in-process: the contract's rules
// (NOT_FOUND, FAILED_PRECONDITION, INVALID_ARGUMENT, idempotency) and the events and sip-edge actions of a
// monitor's life, with the recording sip-edge standing in for the SIP side. No mixer or media-worker runs
// here (their addresses answer nothing): the media of a monitor is app/monitor-media.unit.test.ts's.
import { callControl, callEvents } from '@callctl/proto';
import { waitFor } from '@callctl/testing';
import { startHarness, typesOf, type Harness } from './support/orchestrator-harness.js';
import { refused } from './support/call-control-client.js';

const { EndCause, LegRole, MonitorEndReason, MonitorMode } = callEvents;

describe('monitoring (MonitorCall, SetMonitorMode, StopMonitor)', () => {
  let h: Harness;
  beforeAll(async () => {
    h = await startHarness();
  });
  afterAll(() => h.stop());

  const until = (callId: string, type: string, count = 1) => h.until(callId, type, count);
  /** The call's last MonitorEnded, decoded. */
  const lastEnded = async (callId: string) => {
    const event = (await h.stream(callId)).filter((e) => e.type === 'MonitorEnded').at(-1);
    return callEvents.MonitorEnded.fromJSON(event!.data);
  };
  const supervisorLegOf = async (callId: string) =>
    (h.sipEdge
      .received('placeCall')
      .filter((r) => r.callId === callId)
      .at(-1)?.legId as string) ?? '';

  it('refuses what the contract refuses', async () => {
    const { callId, legId } = await h.answeredInboundCall();
    expect((await refused(h.client.monitorCall({ callId: 'no-such-call', idempotencyKey: 'k' }))).code).toBe(
      'NOT_FOUND',
    );
    expect((await refused(h.client.monitorCall({ callId }))).code).toBe('INVALID_ARGUMENT'); // no key
    expect(
      (await refused(h.client.monitorCall({ callId, supervisorUri: 'mailto:x@y', idempotencyKey: 'k1' })))
        .code,
    ).toBe('INVALID_ARGUMENT');
    expect(
      (
        await refused(
          h.client.monitorCall({
            callId,
            mode: MonitorMode.MONITOR_MODE_WHISPER,
            whisperLegId: 'not-a-leg',
            idempotencyKey: 'k2',
          }),
        )
      ).code,
    ).toBe('INVALID_ARGUMENT');
    expect(
      (
        await refused(
          h.client.api.setMonitorMode({
            callId,
            monitorId: 'nope',
            mode: MonitorMode.MONITOR_MODE_BARGE,
            whisperLegId: '',
          }),
        )
      ).code,
    ).toBe('NOT_FOUND');
    expect((await refused(h.client.api.stopMonitor({ callId, monitorId: 'nope' }))).code).toBe('NOT_FOUND');
    await h.client.hangup(callId, legId);
    await until(callId, 'CallEnded');
    expect((await refused(h.client.monitorCall({ callId, idempotencyKey: 'k3' }))).code).toBe(
      'FAILED_PRECONDITION',
    );
  });

  it('dials the supervisor of a connected call once per key; the supervisor hanging up ends only the monitor', async () => {
    const { callId, legId } = await h.answeredInboundCall();
    const { monitorId } = await h.client.monitorCall({ callId, idempotencyKey: 'mon-1' });
    expect((await h.client.monitorCall({ callId, idempotencyKey: 'mon-1' })).monitorId).toBe(monitorId);
    await waitFor('supervisor INVITE', async () => (await supervisorLegOf(callId)) !== '');
    const sup = await supervisorLegOf(callId);
    expect(h.sipEdge.received('placeCall').filter((r) => r.callId === callId)).toEqual([
      expect.objectContaining({ legId: sup, toUri: 'sip:sup@127.0.0.1:5090', bridgeWithLegId: '' }),
    ]);
    await until(callId, 'LegInitiated', 2);
    await h.sipEdge.answered(callId, sup);
    await until(callId, 'MonitorStarted');
    const view = await h.client.getCall(callId);
    expect(view.legs.find((l) => l.legId === sup)).toMatchObject({
      role: LegRole.LEG_ROLE_SUPERVISOR,
      monitorId,
      state: callControl.LegState.LEG_STATE_ANSWERED,
    });

    await h.client.api.setMonitorMode({
      callId,
      monitorId,
      mode: MonitorMode.MONITOR_MODE_WHISPER,
      whisperLegId: legId,
    });
    await h.client.api.setMonitorMode({
      callId,
      monitorId,
      mode: MonitorMode.MONITOR_MODE_WHISPER,
      whisperLegId: legId,
    });
    await h.sipEdge.ended(callId, sup, EndCause.END_CAUSE_REMOTE_HANGUP);
    const events = await until(callId, 'MonitorEnded');
    expect(typesOf(events)).toEqual([
      'CallCreated',
      'LegInitiated',
      'LegRinging',
      'LegAnswered',
      'MonitorRequested',
      'DialRequested',
      'LegInitiated',
      'LegAnswered',
      'MonitorStarted',
      'MonitorModeChanged',
      'MonitorEnded',
      'LegEnded',
    ]);
    expect(await lastEnded(callId)).toMatchObject({
      monitorId,
      reason: MonitorEndReason.MONITOR_END_REASON_SUPERVISOR_HANGUP,
    });
    expect((await h.client.getCall(callId)).ended).toBe(false);
    await h.client.api.stopMonitor({ callId, monitorId }); // ended already: OK
  });

  it('dials the supervisor of a call not yet connected when a party answers, and hangs it up with the call', async () => {
    const { callId, legId } = await h.inboundCall();
    const { monitorId } = await h.client.monitorCall({ callId, idempotencyKey: 'mon-2' });
    expect(typesOf(await h.stream(callId)).slice(-1)).toEqual(['MonitorRequested']);
    expect(await supervisorLegOf(callId)).toBe('');
    await h.client.answerLeg(callId, legId);
    await waitFor('supervisor INVITE', async () => (await supervisorLegOf(callId)) !== '');
    const sup = await supervisorLegOf(callId);
    await until(callId, 'LegInitiated', 2);
    await h.sipEdge.answered(callId, sup);
    await until(callId, 'MonitorStarted');

    await h.sipEdge.ended(callId, legId, EndCause.END_CAUSE_REMOTE_HANGUP);
    const events = await until(callId, 'CallEnded');
    expect(typesOf(events).slice(-4)).toEqual(['LegEnded', 'MonitorEnded', 'LegEnded', 'CallEnded']);
    expect(await lastEnded(callId)).toMatchObject({
      monitorId,
      reason: MonitorEndReason.MONITOR_END_REASON_CALL_ENDED,
    });
    await waitFor('supervisor hung up', async () =>
      h.sipEdge.received('hangupLeg').some((r) => r.callId === callId && r.legId === sup),
    );
  });

  it('StopMonitor hangs the supervisor up; a lost mixer ends the monitors; the call goes on', async () => {
    const { callId } = await h.answeredInboundCall();
    const { monitorId } = await h.client.monitorCall({ callId, idempotencyKey: 'mon-3' });
    await waitFor('supervisor INVITE', async () => (await supervisorLegOf(callId)) !== '');
    const sup = await supervisorLegOf(callId);
    await until(callId, 'LegInitiated', 2);
    await h.sipEdge.answered(callId, sup);
    await until(callId, 'MonitorStarted');
    await h.client.api.stopMonitor({ callId, monitorId });
    expect(await lastEnded(callId)).toMatchObject({
      reason: MonitorEndReason.MONITOR_END_REASON_STOPPED,
    });
    expect(h.sipEdge.received('hangupLeg')).toContainEqual(expect.objectContaining({ callId, legId: sup }));

    const second = await h.client.monitorCall({
      callId,
      idempotencyKey: 'mon-4',
      mode: MonitorMode.MONITOR_MODE_BARGE,
    });
    await until(callId, 'DialRequested', 2);
    const sup2 = await supervisorLegOf(callId);
    await until(callId, 'LegInitiated', 3);
    await h.sipEdge.answered(callId, sup2);
    await until(callId, 'MonitorStarted', 2);
    await h.sipEdge.publishMediaFact(callId, {
      $case: 'mixerLost',
      mixerLost: { sessionId: callId, tag: sup2, routeId: `sup-${second.monitorId}` },
    });
    await until(callId, 'MonitorEnded', 2);
    expect(await lastEnded(callId)).toMatchObject({
      monitorId: second.monitorId,
      reason: MonitorEndReason.MONITOR_END_REASON_MIXER_FAILED,
    });
    await waitFor('second supervisor hung up', async () =>
      h.sipEdge.received('hangupLeg').some((r) => r.callId === callId && r.legId === sup2),
    );
    expect((await h.client.getCall(callId)).ended).toBe(false);
  });
});
