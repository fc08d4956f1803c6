// Bridges between answered legs, and Dial: a new outbound leg, bridged on answer when it names a leg to
// bridge with (see RecordLegAnswered).
import { callEvents } from '@callctl/proto';
import type { CallEvent } from '../../call.events';
import type { Leg } from '../../call.state';
import {
  answeredLeg,
  leg,
  replay,
  requestLeg,
  type Active,
  type Cmd,
  type Decision,
} from '../../call.guards';
import { IllegalStateError, ValidationError } from '../../errors';
import { activeEvolve, type DecideContext } from '../capability';
import { stopPlaybacksOn } from '../digits/prompts';
import { bridgeFingerprint, dialFingerprint } from './bridges.state';
import { isSupervisor } from '../monitors/monitors.state';
import { requireDialTarget } from '../legs/dial-target';
import { refuseHeld } from '../holds/holds.state';
import { isParty } from '../legs/roles';

type AnsweredLeg = Extract<Leg, { status: 'answered' }>;

export const bridgeLegs = (s: Active, c: Cmd<'BridgeLegs'>, ctx: DecideContext): Decision => {
  const { legAId, legBId } = c.data;
  if (legAId === legBId)
    throw new ValidationError('a leg cannot be bridged with itself', { callId: s.callId, legId: legAId });
  const again = replay(s, c.metadata.idempotencyKey, bridgeFingerprint(c.data));
  if (again) return again;
  const a = answeredLeg(s, legAId, 'be bridged');
  const b = answeredLeg(s, legBId, 'be bridged');
  for (const l of [a, b]) neverBridged(s, l);
  for (const l of [a, b])
    if (l.bridgeId)
      throw new IllegalStateError(`leg ${l.legId} is already bridged`, { callId: s.callId, legId: l.legId });
  for (const l of [a, b]) refuseHeld(s, l, 'be bridged');
  // The media session is sip-edge's to choose: its BridgeLegs reply fills it in before the append.
  const joined = joinLegs(
    s,
    a,
    b,
    { bridgeId: c.metadata.newId, key: c.metadata.idempotencyKey ?? '' },
    c,
    ctx,
  );
  return { ...joined, resultId: c.metadata.newId };
};

/**
 * sip-edge reports the legs it joined for a BridgeLegs (the fact carries the bridge id and key the command
 * decided). Usually the command's own append recorded the bridge first and this changes nothing; it
 * records the bridge when the command's append never happened (the orchestrator crashed or gave up after
 * sip-edge acted). Legs that have moved on since (ended, bridged otherwise) are left as they are.
 */
export const recordLegsBridged = (s: Active, c: Cmd<'RecordLegsBridged'>, ctx: DecideContext): Decision => {
  const d = c.data;
  if (s.bridges[d.bridgeId]) return { events: [] };
  const a = s.legs[d.legAId];
  const b = s.legs[d.legBId];
  if (a?.status !== 'answered' || b?.status !== 'answered' || a.bridgeId || b.bridgeId) return { events: [] };
  const bridge = { bridgeId: d.bridgeId, key: d.idempotencyKey, mediaSessionId: d.mediaSessionId ?? '' };
  return joinLegs(s, a, b, bridge, c, ctx);
};

/**
 * LegsBridged, after ending what the platform played to either leg alone: an echo, a prompt (a collection
 * whose prompt that was waits for digits from then on, with its timer).
 */
export function joinLegs(
  s: Active,
  a: AnsweredLeg,
  b: AnsweredLeg,
  bridge: { bridgeId: string; key: string; mediaSessionId?: string },
  c: { metadata: { now: number } },
  ctx: DecideContext,
): Decision {
  const base = { callId: s.callId, clientState: s.clientState };
  const out: CallEvent[] = [a, b]
    .filter((l) => l.echo)
    .map((l): CallEvent => ({ type: 'EchoStopped', data: { ...base, legId: l.legId } }));
  const stopped = stopPlaybacksOn(s, [a.legId, b.legId], c.metadata.now, activeEvolve(ctx));
  out.push(...stopped.events);
  out.push({
    type: 'LegsBridged',
    data: {
      ...base,
      bridgeId: bridge.bridgeId,
      legAId: a.legId,
      legBId: b.legId,
      idempotencyKey: bridge.key,
      mediaSessionId: bridge.mediaSessionId ?? '',
    },
  });
  return { events: out, deadlines: stopped.deadlines };
}

/** A leg that ends ends its bridge (the peer's hang-up is the app's: process-managers/record-fact.ts). */
export const endBridgeOfLeg = (s: Active, l: Leg): CallEvent[] =>
  l.status === 'answered' && l.bridgeId
    ? [
        {
          type: 'BridgeEnded',
          data: {
            callId: s.callId,
            clientState: s.clientState,
            bridgeId: l.bridgeId,
            endedLegId: l.legId,
            reason: callEvents.BridgeEndReason.BRIDGE_END_REASON_LEG_ENDED,
            transferId: '',
          },
        },
      ]
    : [];

export const dial = (s: Active, c: Cmd<'Dial'>): Decision => {
  const d = c.data;
  requireDialTarget(d.toUri, 'to_uri', s.callId);
  const again = replay(s, c.metadata.idempotencyKey, dialFingerprint(d));
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
      headers: {},
    },
    c.metadata.now,
  );
  return { resultId: legId, deadlines: dialled.deadlines, events: [dialled.event] };
};

/**
 * The leg a dialled leg is bridged with: an answered leg, or an inbound leg still waiting for its answer
 * (sip-edge then offers the caller's SDP to the new party and answers the caller when it answers).
 */
/** A supervisor's or participant's leg hears the call through the mixer: it is never bridged. */
function neverBridged(s: Active, l: Leg): void {
  if (isParty(l)) return;
  const whose = isSupervisor(l) ? "a supervisor's (monitoring)" : "a participant's (three-way)";
  throw new IllegalStateError(`leg ${l.legId} is ${whose}: it is never bridged`, {
    callId: s.callId,
    legId: l.legId,
  });
}

function bridgeSource(s: Active, legId: string): void {
  const l = leg(s, legId);
  const waitingInbound =
    l.direction === callEvents.LegDirection.LEG_DIRECTION_INBOUND &&
    (l.status === 'initiated' || l.status === 'ringing');
  neverBridged(s, l);
  refuseHeld(s, l, 'be bridged with a dialled leg');
  if (l.status === 'answered' || waitingInbound) return;
  answeredLeg(s, legId, 'be bridged with a dialled leg');
}
