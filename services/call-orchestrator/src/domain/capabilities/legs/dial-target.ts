// Where a leg dialled into an existing call (a supervisor, a participant) goes, and who it comes from.
import { callEvents } from '@callctl/proto';
import type { Active } from '../../call.guards';
import { ValidationError } from '../../errors';
import { partyLegs } from './roles';

/** A destination given as a number (digits, optionally a leading +). */
const NUMBER = /^\+?[0-9]+$/;

/** The host part of a SIP URI (after `@`, else after the scheme), without parameters. */
export const hostOf = (uri: string) =>
  uri
    .replace(/^sips?:/, '')
    .replace(/^[^@]*@/, '')
    .replace(/[;>?].*$/, '');

/** A SIP URI as given, or a number dialled at the host of `fromUri` (the platform's side of the call). */
export function dialTarget(uri: string, fromUri: string, callId: string, field: string): string {
  if (uri.startsWith('sip:') || uri.startsWith('sips:')) return uri;
  if (NUMBER.test(uri)) return `sip:${uri}@${hostOf(fromUri)}`;
  throw new ValidationError(`${field} must be a SIP URI or a number, got "${uri}"`, { callId });
}

/** What From an INVITE into the call carries by default: the platform's side of the call's first party. */
export function platformFrom(s: Active): string {
  const first = partyLegs(s)[0];
  if (!first) return '';
  return first.direction === callEvents.LegDirection.LEG_DIRECTION_INBOUND ? first.toUri : first.fromUri;
}
