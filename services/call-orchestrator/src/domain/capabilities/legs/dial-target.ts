// Where a leg dialled into an existing call (a supervisor, a participant) goes, and who it comes from.
import { callEvents } from '@callctl/proto';
import type { Active } from '../../call.guards';
import { ValidationError } from '../../errors';
import { partyLegs } from './roles';

/** A destination given as a number (digits, optionally a leading +). */
const NUMBER = /^\+?[0-9]+$/;
/**
 * What CreateCall and Dial may dial: a sip:, sips: or tel: URI, E.164 (+ and up to 15 digits) or what a
 * phone dials (digits, * and #). The dial plan is sip-edge's (it knows the platform's domains and trunks):
 * a platform user is a SIP URI of a platform domain, a number is routed to a trunk.
 */
const DIALLED_NUMBER = /^(\+[0-9]{1,15}|[0-9*#]{1,32})$/;
const DIAL_SCHEMES = /^(sips?|tel):./;

/** A number as CreateCall and Dial take it: +E.164, or digits (with * and #) as a phone dials them. */
export const isDialledNumber = (target: string): boolean => DIALLED_NUMBER.test(target);

/** Refuses a CreateCall/Dial destination that is neither a sip:/sips:/tel: URI nor a number. */
export function requireDialTarget(uri: string, field: string, callId: string): void {
  if (!DIAL_SCHEMES.test(uri) && !isDialledNumber(uri))
    throw new ValidationError(
      `${field} must be a SIP URI (sip:, sips:), a tel: URI or a number (+E.164 or digits), got "${uri}"`,
      { callId },
    );
}

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
