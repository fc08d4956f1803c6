// Participants' part of the call state: each three-way participant by id, how it takes part and where its
// leg is. A participant has no event of its own before it answers: its leg's DialRequested (role
// PARTICIPANT, with the participant id and mode) makes it `dialling`; its answer `added` (ParticipantAdded,
// it hears the call through the mixer); ParticipantRemoved `removed` for good.
import { callEvents } from '@callctl/proto';
import { remember, type IdempotencyMap } from '../../idempotency';
import type { Ev, Evolver } from '../capability';

const { ParticipantMode } = callEvents;

export type Participant = {
  readonly participantId: string;
  readonly legId: string;
  readonly targetUri: string;
  readonly mode: callEvents.ParticipantMode;
  readonly status: 'dialling' | 'added' | 'removed';
  /** AddParticipant's key, carried on to ParticipantAdded. */
  readonly idempotencyKey: string;
  readonly reason?: callEvents.ParticipantRemovedReason;
  /** It was added once (it answered): the mixer room may hold it after it was removed. */
  readonly wasAdded?: boolean;
};
export type ParticipantsState = { readonly participants: Readonly<Record<string, Participant>> };

/** FULL unless LISTEN was asked (0 = FULL). */
export const participantModeOf = (mode: callEvents.ParticipantMode | undefined) =>
  mode === ParticipantMode.PARTICIPANT_MODE_LISTEN
    ? ParticipantMode.PARTICIPANT_MODE_LISTEN
    : ParticipantMode.PARTICIPANT_MODE_FULL;

export const participantFingerprint = (d: {
  toUri: string;
  mode: callEvents.ParticipantMode;
  fromUri: string;
  ringTimeoutMs: number;
}) => `participant|${d.toUri}|${d.mode}|${d.fromUri}|${d.ringTimeoutMs}`;

/** A leg dialled by AddParticipant: it never keeps the call up and is never bridged. */
export const isParticipant = (l: { readonly role?: callEvents.LegRole } | undefined): boolean =>
  l?.role === callEvents.LegRole.LEG_ROLE_PARTICIPANT;

const withParticipant = <S extends ParticipantsState>(s: S, p: Participant): S => ({
  ...s,
  participants: { ...s.participants, [p.participantId]: p },
});

/**
 * A participant's leg was dialled (bridges.state.ts adds the leg): the participant is `dialling`, and the
 * request's key answers its participant id (not the leg's, as a Dial's would).
 */
export function participantDialled<S extends ParticipantsState & { readonly idempotency: IdempotencyMap }>(
  s: S,
  d: Ev<'DialRequested'>['data'],
): S {
  if (!d.participantId || s.participants[d.participantId]) return s;
  const mode = participantModeOf(d.participantMode);
  return {
    ...withParticipant(s, {
      participantId: d.participantId,
      legId: d.legId,
      targetUri: d.toUri,
      mode,
      status: 'dialling',
      idempotencyKey: d.idempotencyKey,
    }),
    idempotency: remember(
      s.idempotency,
      d.idempotencyKey,
      participantFingerprint({ ...d, mode }),
      d.participantId,
    ),
  };
}

const participantAdded: Evolver<'ParticipantAdded'> = (s, e) => {
  const p = s.participants[e.data.participantId];
  return p && p.status === 'dialling' ? withParticipant(s, { ...p, status: 'added', wasAdded: true }) : s;
};

const participantRemoved: Evolver<'ParticipantRemoved'> = (s, e) => {
  const p = s.participants[e.data.participantId];
  return p ? withParticipant(s, { ...p, status: 'removed', reason: e.data.reason }) : s;
};

export const participantsEvolve = {
  ParticipantAdded: participantAdded,
  ParticipantRemoved: participantRemoved,
};
