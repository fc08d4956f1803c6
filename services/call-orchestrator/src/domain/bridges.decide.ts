// Bridges between answered legs, and Dial: a new outbound leg, bridged on answer when it names a leg to
// bridge with (see RecordLegAnswered).
import type { CallEvent } from './call.events';
import { fingerprint } from './call.state';
import {
  answeredLeg,
  leg,
  replay,
  requestLeg,
  requireSipUri,
  type Active,
  type Cmd,
  type Decision,
} from './call.guards';
import { callEvents } from '@callctl/proto';
import { IllegalStateError, ValidationError } from './errors';

export const bridgeLegs = (s: Active, c: Cmd<'BridgeLegs'>): Decision => {
  const { legAId, legBId } = c.data;
  if (legAId === legBId)
    throw new ValidationError('a leg cannot be bridged with itself', { callId: s.callId, legId: legAId });
  const again = replay(s, c.metadata.idempotencyKey, fingerprint.bridge(c.data));
  if (again) return again;
  const a = answeredLeg(s, legAId, 'be bridged');
  const b = answeredLeg(s, legBId, 'be bridged');
  for (const l of [a, b])
    if (l.bridgeId)
      throw new IllegalStateError(`leg ${l.legId} is already bridged`, { callId: s.callId, legId: l.legId });
  const base = { callId: s.callId, clientState: s.clientState };
  const taken = new Set([legAId, legBId]);
  // Joining the legs' media ends what the platform played to either of them alone: an echo, a prompt.
  const out: CallEvent[] = [a, b]
    .filter((l) => l.echo)
    .map((l): CallEvent => ({ type: 'EchoStopped', data: { ...base, legId: l.legId } }));
  for (const p of Object.values(s.playbacks))
    if (p.status === 'playing' && taken.has(p.legId))
      out.push({
        type: 'PlaybackFinished',
        data: {
          ...base,
          legId: p.legId,
          playbackId: p.playbackId,
          reason: callEvents.PlaybackEndReason.PLAYBACK_END_REASON_STOPPED,
        },
      });
  out.push({
    type: 'LegsBridged',
    data: {
      ...base,
      bridgeId: c.metadata.newId,
      legAId,
      legBId,
      idempotencyKey: c.metadata.idempotencyKey ?? '',
    },
  });
  return { events: out, resultId: c.metadata.newId };
};

export const dial = (s: Active, c: Cmd<'Dial'>): Decision => {
  const d = c.data;
  requireSipUri(d.toUri, s.callId);
  const again = replay(s, c.metadata.idempotencyKey, fingerprint.dial(d));
  if (again) return again;
  // Without a leg to bridge with, the new leg is answered by the platform alone (BridgeLegs may join it later).
  if (d.bridgeWithLegId) bridgeSource(s, d.bridgeWithLegId);
  const legId = c.metadata.newId;
  const dialled = requestLeg(
    {
      callId: s.callId,
      legId,
      bridgeWithLegId: d.bridgeWithLegId,
      toUri: d.toUri,
      fromUri: d.fromUri,
      ringTimeoutMs: d.ringTimeoutMs,
      clientState: s.clientState,
      idempotencyKey: c.metadata.idempotencyKey ?? '',
    },
    c.metadata.now,
  );
  return { resultId: legId, deadlines: dialled.deadlines, events: [dialled.event] };
};

/**
 * The leg a dialled leg is bridged with: an answered leg, or an inbound leg still waiting for its answer
 * (sip-edge then offers the caller's SDP to the new party and answers the caller when it answers).
 */
function bridgeSource(s: Active, legId: string): void {
  const l = leg(s, legId);
  const waitingInbound =
    l.direction === callEvents.LegDirection.LEG_DIRECTION_INBOUND &&
    (l.status === 'initiated' || l.status === 'ringing');
  if (l.status === 'answered' || waitingInbound) return;
  answeredLeg(s, legId, 'be bridged with a dialled leg');
}
