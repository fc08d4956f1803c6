// Three-way calls through the public API against the orchestrator wired in-process: the contract's rules
// (NOT_FOUND, FAILED_PRECONDITION, INVALID_ARGUMENT, idempotency) and the events and sip-edge actions of a
// participant's life, with the recording sip-edge standing in for the SIP side. No mixer runs here: the
// audio is e2e/test/three-way.e2e.test.ts's.
import { callControl, callEvents } from '@callctl/proto';
import { waitFor } from '@callctl/testing';
import { startHarness, typesOf, type Harness } from './support/orchestrator-harness.js';
import { refused } from './support/call-control-client.js';

const { EndCause, LegRole, ParticipantMode, ParticipantRemovedReason: Reason } = callEvents;
const TARGET = 'sip:third@127.0.0.1:5091';

describe('three-way calls (AddParticipant, RemoveParticipant)', () => {
  let h: Harness;
  beforeAll(async () => {
    h = await startHarness();
  });
  afterAll(() => h.stop());

  const until = async (callId: string, type: string, count = 1) => {
    await waitFor(
      `${type} recorded`,
      async () => typesOf(await h.stream(callId)).filter((t) => t === type).length >= count,
    );
    return h.stream(callId);
  };
  const lastRemoved = async (callId: string) => {
    const event = (await h.stream(callId)).filter((e) => e.type === 'ParticipantRemoved').at(-1);
    return callEvents.ParticipantRemoved.fromJSON(event!.data);
  };
  const add = (callId: string, over: Partial<callControl.AddParticipantRequest> = {}) =>
    h.client.api.addParticipant({
      callId,
      target: TARGET,
      fromUri: '',
      mode: ParticipantMode.PARTICIPANT_MODE_UNSPECIFIED,
      ringTimeoutMs: 0,
      idempotencyKey: 'par-1',
      ...over,
    });
  const invitesOf = (callId: string) => h.sipEdge.received('placeCall').filter((r) => r.callId === callId);

  it('refuses what the contract refuses, dialling nothing', async () => {
    expect((await refused(add('no-such-call'))).code).toBe('NOT_FOUND');
    const ringing = await h.inboundCall();
    expect((await refused(add(ringing.callId))).code).toBe('FAILED_PRECONDITION');
    const { callId } = await h.answeredInboundCall();
    expect((await refused(add(callId, { idempotencyKey: '' }))).code).toBe('INVALID_ARGUMENT');
    expect((await refused(add(callId, { target: 'mailto:x@y' }))).code).toBe('INVALID_ARGUMENT');
    expect((await refused(add(callId, { mode: 5 as callEvents.ParticipantMode }))).code).toBe(
      'INVALID_ARGUMENT',
    );
    expect((await refused(h.client.api.removeParticipant({ callId, participantId: 'nobody' }))).code).toBe(
      'NOT_FOUND',
    );
    expect(invitesOf(callId)).toEqual([]);
    expect(invitesOf(ringing.callId)).toEqual([]);
  });

  it('dials the participant once per key; its answer adds it; RemoveParticipant hangs it up; the call goes on', async () => {
    const { callId } = await h.answeredInboundCall();
    const first = await add(callId, { mode: ParticipantMode.PARTICIPANT_MODE_LISTEN });
    expect(await add(callId, { mode: ParticipantMode.PARTICIPANT_MODE_LISTEN })).toEqual(first);
    // The same key for another request is refused.
    expect((await refused(add(callId))).code).toBe('ALREADY_EXISTS');
    await waitFor('participant INVITE', async () => invitesOf(callId).length > 0);
    expect(invitesOf(callId)).toEqual([
      expect.objectContaining({ legId: first.legId, toUri: TARGET, bridgeWithLegId: '' }),
    ]);
    await until(callId, 'LegInitiated', 2);
    await h.sipEdge.answered(callId, first.legId);
    await until(callId, 'ParticipantAdded');
    expect((await h.client.getCall(callId)).legs.find((l) => l.legId === first.legId)).toMatchObject({
      role: LegRole.LEG_ROLE_PARTICIPANT,
      participantId: first.participantId,
      state: callControl.LegState.LEG_STATE_ANSWERED,
    });

    await h.client.api.removeParticipant({ callId, participantId: first.participantId });
    expect(h.sipEdge.received('hangupLeg')).toContainEqual(
      expect.objectContaining({ callId, legId: first.legId }),
    );
    await h.client.api.removeParticipant({ callId, participantId: first.participantId }); // again: OK
    expect(typesOf(await h.stream(callId))).toEqual([
      'CallCreated',
      'LegInitiated',
      'LegRinging',
      'LegAnswered',
      'DialRequested',
      'LegInitiated',
      'LegAnswered',
      'ParticipantAdded',
      'ParticipantRemoved',
      'LegEnded',
    ]);
    expect(await lastRemoved(callId)).toMatchObject({
      participantId: first.participantId,
      legId: first.legId,
      reason: Reason.PARTICIPANT_REMOVED_REASON_REMOVED,
    });
    expect((await h.client.getCall(callId)).ended).toBe(false);
  });

  it('a busy participant is removed as FAILED; one up when the call ends is removed (CALL_ENDED) and hung up', async () => {
    const { callId, legId } = await h.answeredInboundCall();
    const busy = await add(callId, { idempotencyKey: 'par-busy' });
    await until(callId, 'LegInitiated', 2);
    await h.sipEdge.ended(callId, busy.legId, EndCause.END_CAUSE_BUSY, 486);
    await until(callId, 'ParticipantRemoved');
    expect(await lastRemoved(callId)).toMatchObject({
      reason: Reason.PARTICIPANT_REMOVED_REASON_FAILED,
      sipStatus: 486,
    });

    const third = await add(callId, { idempotencyKey: 'par-up' });
    await until(callId, 'LegInitiated', 3);
    await h.sipEdge.answered(callId, third.legId);
    await until(callId, 'ParticipantAdded');
    // The caller hangs up: the participant does not keep the call up.
    await h.sipEdge.ended(callId, legId, EndCause.END_CAUSE_REMOTE_HANGUP);
    const events = await until(callId, 'CallEnded');
    expect(typesOf(events).slice(-4)).toEqual(['LegEnded', 'ParticipantRemoved', 'LegEnded', 'CallEnded']);
    expect(await lastRemoved(callId)).toMatchObject({
      participantId: third.participantId,
      reason: Reason.PARTICIPANT_REMOVED_REASON_CALL_ENDED,
    });
    await waitFor('participant hung up', async () =>
      h.sipEdge.received('hangupLeg').some((r) => r.callId === callId && r.legId === third.legId),
    );
    // Removing it after the call ended is OK.
    await h.client.api.removeParticipant({ callId, participantId: third.participantId });
  });
});
