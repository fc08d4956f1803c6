// Bridges' part of the call state: each bridge by id, the bridge an answered leg is in, and the leg a
// dialled leg is to be bridged with once it answers.
import { legMedia } from '../legs/legs.state';
import { callEvents } from '@callctl/proto';
import type { Leg } from '../../call.state';
import { remember } from '../../idempotency';
import { supervisorDialled } from '../monitors/monitors.state';
import { participantDialled } from '../participants/participants.state';
import { roleOf } from '../legs/roles';
import type { Evolver } from '../capability';

export type Bridge = {
  readonly bridgeId: string;
  readonly legAId: string;
  readonly legBId: string;
  readonly status: 'active' | 'ended';
  /** Why it ended (BridgeEnded.reason): a transfer or consultation took it apart, or a leg ended. */
  readonly endReason?: callEvents.BridgeEndReason;
};
export type BridgesState = { readonly bridges: Readonly<Record<string, Bridge>> };

export const bridgeFingerprint = (d: { legAId: string; legBId: string }) => `bridge|${d.legAId}|${d.legBId}`;
export const dialFingerprint = (d: {
  bridgeWithLegId: string;
  toUri: string;
  fromUri: string;
  ringTimeoutMs: number;
}) => `dial|${d.bridgeWithLegId}|${d.toUri}|${d.fromUri}|${d.ringTimeoutMs}`;

const dialRequested: Evolver<'DialRequested'> = (s, { data: d }) => {
  const leg: Leg = {
    legId: d.legId,
    direction: callEvents.LegDirection.LEG_DIRECTION_OUTBOUND,
    fromUri: d.fromUri,
    toUri: d.toUri,
    ringTimeoutMs: d.ringTimeoutMs,
    sipCallId: '',
    bridgeWithOnAnswer: d.bridgeWithLegId,
    media: legMedia(s.callId, d.legId),
    status: 'initiated',
    ...roleOf(d),
  };
  // A participant's key answers its participant (participantDialled remembers it), a Dial's its leg.
  if (d.participantId) return { ...participantDialled(s, d), legs: { ...s.legs, [d.legId]: leg } };
  return {
    ...supervisorDialled(s, d.monitorId ?? ''),
    legs: { ...s.legs, [d.legId]: leg },
    idempotency: remember(s.idempotency, d.idempotencyKey, dialFingerprint({ ...d }), d.legId),
  };
};

const legsBridged: Evolver<'LegsBridged'> = (s, { data: d }) => {
  const a = s.legs[d.legAId];
  const b = s.legs[d.legBId];
  if (a?.status !== 'answered' || b?.status !== 'answered') return s;
  // A bridge that moved the legs' media (BridgeLegs) names its session; each leg keeps its tag, and
  // stays there after the bridge ends. A dial-through shares the caller's session: nothing moves.
  const moved = (l: typeof a) =>
    d.mediaSessionId ? { sessionId: d.mediaSessionId, tag: l.media.tag } : l.media;
  return {
    ...s,
    legs: {
      ...s.legs,
      [a.legId]: { ...a, bridgeId: d.bridgeId, echo: false, media: moved(a) },
      [b.legId]: { ...b, bridgeId: d.bridgeId, echo: false, media: moved(b) },
    },
    bridges: {
      ...s.bridges,
      [d.bridgeId]: { bridgeId: d.bridgeId, legAId: d.legAId, legBId: d.legBId, status: 'active' },
    },
    idempotency: remember(s.idempotency, d.idempotencyKey, bridgeFingerprint(d), d.bridgeId),
  };
};

const bridgeEnded: Evolver<'BridgeEnded'> = (s, e) => {
  const br = s.bridges[e.data.bridgeId];
  if (!br) return s;
  const legs = { ...s.legs };
  // Taken apart by re-INVITEs (a consultation), each leg's media is in a session of its own now.
  const moved = { [br.legAId]: e.data.legAMedia, [br.legBId]: e.data.legBMedia };
  for (const id of [br.legAId, br.legBId]) {
    const leg = legs[id];
    const media = moved[id];
    if (leg?.status === 'answered') legs[id] = { ...leg, bridgeId: undefined, ...(media ? { media } : {}) };
  }
  return {
    ...s,
    legs,
    bridges: { ...s.bridges, [br.bridgeId]: { ...br, status: 'ended', endReason: e.data.reason } },
  };
};

export const bridgesEvolve = {
  DialRequested: dialRequested,
  LegsBridged: legsBridged,
  BridgeEnded: bridgeEnded,
};
