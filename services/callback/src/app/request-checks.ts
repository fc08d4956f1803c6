// The request checks both interfaces share (CONTRACT "Request checks"); the core runs them again.
import type { CallbackSpec } from './ports.js';

export const USER = /^[0-9A-Za-z+*#._-]{1,31}$/;
export const ANNOUNCEMENT_ID = /^[0-9]{8}$/;
export const DIGITS = /^[0-9]{1,31}$/;
/** A caller that is a number or a name; a sip: URI may be anything without spaces or angle brackets. */
const CALLER_NAME = /^[0-9A-Za-z+*#._-]{1,64}$/;
const CALLER_URI = /^sips?:[^\s<>"]{1,250}$/i;
export const MAX_CLIENT_STATE_BYTES = 1024;

/** The first problem of a spec, naming the field; undefined when it is well formed. */
export function problemOf(spec: CallbackSpec, maxDurationS: number): string | undefined {
  if (!USER.test(spec.user1)) return 'user1: expected 1-31 of 0-9 A-Z a-z + * # . _ -';
  if (!USER.test(spec.user2)) return 'user2: expected 1-31 of 0-9 A-Z a-z + * # . _ -';
  if (!Number.isInteger(spec.maxDurationS) || spec.maxDurationS < 0 || spec.maxDurationS > maxDurationS)
    return `max_duration_s: expected an integer from 0 to ${maxDurationS}`;
  if (spec.annId1 !== undefined && !ANNOUNCEMENT_ID.test(spec.annId1)) return 'ann_id1: expected 8 digits';
  if (spec.annId2 !== undefined && !ANNOUNCEMENT_ID.test(spec.annId2)) return 'ann_id2: expected 8 digits';
  if (spec.annDigits2 !== undefined && !DIGITS.test(spec.annDigits2))
    return 'ann_digits2: expected 1-31 digits';
  if (spec.caller !== undefined && !CALLER_NAME.test(spec.caller) && !CALLER_URI.test(spec.caller))
    return 'caller: expected a number, a name or a sip: URI';
  if (spec.clientState !== undefined && Buffer.byteLength(spec.clientState) > MAX_CLIENT_STATE_BYTES)
    return `client_state: at most ${MAX_CLIENT_STATE_BYTES} bytes`;
  return undefined;
}
