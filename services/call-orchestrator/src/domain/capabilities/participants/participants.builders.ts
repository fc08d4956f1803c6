// One-line test builders of three-way calls: events and commands. Participant P1, its leg L1 (P2: L2).
import { callEvents } from '@callctl/proto';
import type { CallCommand } from '../../call.commands';
import type { CallEvent } from '../../call.events';
import { base, meta } from '../../testing/builder-base';
import { bothAnswered, legAnswered, legInitiated } from '../legs/legs.builders';

const { ParticipantMode, ParticipantRemovedReason, LegRole } = callEvents;
export { ParticipantMode, ParticipantRemovedReason };
export const PARTICIPANT_URI = 'sip:third@127.0.0.1';
const legOf = (participantId: string) => (participantId === 'P2' ? 'L2' : 'L1');

export const addParticipant = (
  o: Partial<{
    target: string;
    mode: callEvents.ParticipantMode;
    key: string;
    id: string;
    leg: string;
    from: string;
  }> = {},
): CallCommand => ({
  type: 'AddParticipant',
  data: {
    target: o.target ?? PARTICIPANT_URI,
    mode: o.mode ?? ParticipantMode.PARTICIPANT_MODE_UNSPECIFIED,
    fromUri: o.from ?? '',
    ringTimeoutMs: 30_000,
    participantLegId: o.leg ?? legOf(o.id ?? 'P1'),
  },
  metadata: meta(o.id ?? 'P1', 'key' in o ? o.key : 'k-par'),
});

export const participantDialled = (
  o: Partial<{ mode: callEvents.ParticipantMode; id: string; uri: string; key: string }> = {},
): CallEvent => ({
  type: 'DialRequested',
  data: {
    ...base,
    legId: legOf(o.id ?? 'P1'),
    bridgeWithLegId: '',
    toUri: o.uri ?? PARTICIPANT_URI,
    fromUri: 'sip:app@127.0.0.1',
    ringTimeoutMs: 30_000,
    idempotencyKey: o.key ?? 'k-par',
    headers: {},
    role: LegRole.LEG_ROLE_PARTICIPANT,
    participantId: o.id ?? 'P1',
    participantMode: o.mode ?? ParticipantMode.PARTICIPANT_MODE_FULL,
  },
});

export const participantAdded = (
  o: Partial<{ mode: callEvents.ParticipantMode; id: string; uri: string }> = {},
): CallEvent => ({
  type: 'ParticipantAdded',
  data: {
    ...base,
    participantId: o.id ?? 'P1',
    legId: legOf(o.id ?? 'P1'),
    mode: o.mode ?? ParticipantMode.PARTICIPANT_MODE_FULL,
    targetUri: o.uri ?? PARTICIPANT_URI,
    idempotencyKey: 'k-par',
  },
});

export const participantRemoved = (
  reason: callEvents.ParticipantRemovedReason,
  sipStatus = 0,
  participantId = 'P1',
): CallEvent => ({
  type: 'ParticipantRemoved',
  data: { ...base, participantId, legId: legOf(participantId), reason, sipStatus },
});

export const removeParticipant = (participantId = 'P1'): CallCommand => ({
  type: 'RemoveParticipant',
  data: { participantId },
  metadata: meta(),
});

/** A connected call (A and B answered) with participant P1 (leg L1) added in `mode`. */
export const threeWayCall = (mode = ParticipantMode.PARTICIPANT_MODE_FULL): CallEvent[] => [
  ...bothAnswered(),
  participantDialled({ mode }),
  legInitiated('L1'),
  legAnswered('L1'),
  participantAdded({ mode }),
];
