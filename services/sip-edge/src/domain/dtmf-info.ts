// DTMF by SIP INFO, both ways: the digit of an INFO a far end sends us, and the INFO body of a digit we send.
import { ValidationError, type LegErrorContext } from './errors.js';

/** One digit carried by a SIP INFO. */
export interface InfoDigit {
  digit: string;
  durationMs: number;
}

const DIGITS = /^[0-9*#A-D]$/;
// RFC 4733 event numbers some endpoints put in Signal= instead of the key.
const EVENT_KEYS: Readonly<Record<string, string>> = {
  '10': '*',
  '11': '#',
  '12': 'A',
  '13': 'B',
  '14': 'C',
  '15': 'D',
};
/** Duration assumed when the body gives none (a typical key press). */
export const DEFAULT_INFO_DIGIT_MS = 250;

function key(raw: string): string | undefined {
  const value = raw.trim().toUpperCase();
  const mapped = EVENT_KEYS[value] ?? value;
  return DIGITS.test(mapped) ? mapped : undefined;
}

/**
 * The digit of an INFO body: `application/dtmf-relay` (`Signal=5` and `Duration=160` lines) or
 * `application/dtmf` (the key alone). Undefined for other content types or a body without a valid key.
 */
export function parseDtmfInfo(contentType: string | undefined, body: string): InfoDigit | undefined {
  const type = (contentType ?? '').split(';')[0]!.trim().toLowerCase();
  if (type === 'application/dtmf') {
    const digit = key(body);
    return digit === undefined ? undefined : { digit, durationMs: DEFAULT_INFO_DIGIT_MS };
  }
  if (type !== 'application/dtmf-relay') return undefined;
  const fields = new Map<string, string>();
  for (const line of body.split(/\r?\n/)) {
    const eq = line.indexOf('=');
    if (eq > 0) fields.set(line.slice(0, eq).trim().toLowerCase(), line.slice(eq + 1).trim());
  }
  const digit = key(fields.get('signal') ?? '');
  if (digit === undefined) return undefined;
  const duration = Number(fields.get('duration'));
  return { digit, durationMs: Number.isInteger(duration) && duration > 0 ? duration : DEFAULT_INFO_DIGIT_MS };
}

/** Content-Type of the INFOs sip-edge sends: the de-facto format (Cisco's), which most endpoints read. */
export const DTMF_RELAY_TYPE = 'application/dtmf-relay';
/** At most this many digits per SendDtmfInfo: each one is an INFO round trip the caller waits for. */
export const MAX_INFO_DIGITS = 64;
/** Longest Duration= sent: RFC 4733's longest single event (65535 samples at 8 kHz) is about 8 s. */
export const MAX_INFO_DIGIT_MS = 8000;

/** What SendDtmfInfo sends: one INFO per digit, each with this duration. */
export interface InfoDigits {
  digits: string[];
  durationMs: number;
}

/**
 * The digits and duration of a SendDtmfInfo, checked: keys of 0-9 * # A-D only (the first other character
 * is named), 1 to MAX_INFO_DIGITS of them, a duration up to MAX_INFO_DIGIT_MS (0: DEFAULT_INFO_DIGIT_MS).
 */
export function checkInfoDigits(digits: string, durationMs: number, context: LegErrorContext): InfoDigits {
  if (digits.length === 0) throw new ValidationError('digits is empty', context);
  if (digits.length > MAX_INFO_DIGITS)
    throw new ValidationError(
      `digits has ${digits.length} keys; at most ${MAX_INFO_DIGITS} are sent at a time`,
      context,
    );
  const keys = [...digits];
  const bad = keys.findIndex((k) => !DIGITS.test(k));
  if (bad >= 0)
    throw new ValidationError(
      `digits has ${JSON.stringify(keys[bad])} at position ${bad + 1}; expected keys of 0-9 * # A-D`,
      context,
    );
  if (!Number.isInteger(durationMs) || durationMs < 0 || durationMs > MAX_INFO_DIGIT_MS)
    throw new ValidationError(
      `duration_ms ${durationMs} is outside 0-${MAX_INFO_DIGIT_MS} (0 means ${DEFAULT_INFO_DIGIT_MS})`,
      context,
    );
  return { digits: keys, durationMs: durationMs || DEFAULT_INFO_DIGIT_MS };
}

/** The application/dtmf-relay body of one digit, as parseDtmfInfo reads it back. */
export function dtmfRelayBody(digit: string, durationMs: number): string {
  return `Signal=${digit}\r\nDuration=${durationMs}\r\n`;
}
