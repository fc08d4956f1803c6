// What a leg is to its call (LegRole): a party of the conversation, or a leg dialled into it to listen or
// take part through the mixer (a monitor's supervisor, a three-way participant). Only parties keep a call
// up, are bridged and recorded; the others end with the call.
import { callEvents } from '@callctl/proto';
import type { Leg } from '../../call.state';

const { LegRole } = callEvents;

/** A party of the conversation (legs recorded before roles existed carry none, and are parties). */
export const isParty = (l: Pick<Leg, 'role'> | undefined): boolean =>
  (l?.role ?? LegRole.LEG_ROLE_PARTY) === LegRole.LEG_ROLE_PARTY;

/** The party legs of the call, in the order they were created. */
export const partyLegs = (s: { readonly legs: Readonly<Record<string, Leg>> }): Leg[] =>
  Object.values(s.legs).filter(isParty);

/** What a leg's end says about its role, for the events that name it (a party's carry nothing). */
export const roleOf = (l: Pick<Leg, 'role' | 'monitorId' | 'participantId'> | undefined) =>
  l?.role
    ? {
        role: l.role,
        ...(l.role === LegRole.LEG_ROLE_SUPERVISOR ? { monitorId: l.monitorId ?? '' } : {}),
        ...(l.role === LegRole.LEG_ROLE_PARTICIPANT ? { participantId: l.participantId ?? '' } : {}),
      }
    : {};
