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
