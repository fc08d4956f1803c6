import { ValidationError } from './errors.js';
import {
  checkInfoDigits,
  DEFAULT_INFO_DIGIT_MS,
  dtmfRelayBody,
  MAX_INFO_DIGIT_MS,
  MAX_INFO_DIGITS,
  parseDtmfInfo,
} from './dtmf-info.js';

describe('digits of SIP INFO bodies', () => {
  it('reads application/dtmf-relay with signal and duration', () => {
    expect(parseDtmfInfo('application/dtmf-relay', 'Signal=5\r\nDuration=160\r\n')).toEqual({
      digit: '5',
      durationMs: 160,
    });
  });

  it('accepts lower-case keys, spaces, LF line ends and a content-type parameter', () => {
    expect(parseDtmfInfo('Application/DTMF-Relay; charset=utf-8', 'signal = #\nduration= 250')).toEqual({
      digit: '#',
      durationMs: 250,
    });
  });

  it('maps event numbers 10-15 to * # A-D', () => {
    expect(parseDtmfInfo('application/dtmf-relay', 'Signal=10\r\nDuration=100')?.digit).toBe('*');
    expect(parseDtmfInfo('application/dtmf-relay', 'Signal=15\r\nDuration=100')?.digit).toBe('D');
  });

  it('uses a default duration when none or a bad one is given', () => {
    expect(parseDtmfInfo('application/dtmf-relay', 'Signal=9')?.durationMs).toBe(DEFAULT_INFO_DIGIT_MS);
    expect(parseDtmfInfo('application/dtmf-relay', 'Signal=9\nDuration=-3')?.durationMs).toBe(
      DEFAULT_INFO_DIGIT_MS,
    );
  });

  it('reads application/dtmf (the key alone)', () => {
    expect(parseDtmfInfo('application/dtmf', '*\r\n')).toEqual({
      digit: '*',
      durationMs: DEFAULT_INFO_DIGIT_MS,
    });
  });

  it.each([
    ['application/dtmf-relay', 'Signal=X\r\nDuration=100'],
    ['application/dtmf-relay', 'Duration=100'],
    ['application/dtmf', '55'],
    ['application/media_control+xml', '<media_control/>'],
    [undefined, 'Signal=1'],
  ])('ignores %s with body %j', (type, body) => {
    expect(parseDtmfInfo(type, body)).toBeUndefined();
  });
});

describe('digits sent by SIP INFO', () => {
  const ids = { callId: 'C1', legId: 'L1' };

  it('builds the application/dtmf-relay body with CRLF line ends', () => {
    expect(dtmfRelayBody('#', 160)).toBe('Signal=#\r\nDuration=160\r\n');
  });

  it.each([...'0123456789*#ABCD'])('reads back the body of %s as the same digit and duration', (digit) => {
    expect(parseDtmfInfo('application/dtmf-relay', dtmfRelayBody(digit, 120))).toEqual({
      digit,
      durationMs: 120,
    });
  });

  it('splits the digits into one key each and keeps the duration', () => {
    expect(checkInfoDigits('12#', 100, ids)).toEqual({ digits: ['1', '2', '#'], durationMs: 100 });
  });

  it('gives a duration of 0 the default', () => {
    expect(checkInfoDigits('5', 0, ids).durationMs).toBe(DEFAULT_INFO_DIGIT_MS);
  });

  it.each([
    ['X', 0, '"X" at position 1'],
    ['12x', 0, '"x" at position 3'],
    ['1 2', 0, '" " at position 2'],
    ['', 0, 'digits is empty'],
    ['1'.repeat(MAX_INFO_DIGITS + 1), 0, `at most ${MAX_INFO_DIGITS}`],
    ['1', MAX_INFO_DIGIT_MS + 1, `duration_ms ${MAX_INFO_DIGIT_MS + 1} is outside`],
  ])('refuses digits %j with duration %d, naming %s', (digits, duration, named) => {
    const check = () => checkInfoDigits(digits, duration, ids);
    expect(check).toThrow(ValidationError);
    expect(check).toThrow(named);
  });

  it('accepts the longest digit string and the longest duration', () => {
    expect(checkInfoDigits('#'.repeat(MAX_INFO_DIGITS), MAX_INFO_DIGIT_MS, ids).digits).toHaveLength(
      MAX_INFO_DIGITS,
    );
  });
});
