import { formatReason, parseReason, REASON_TEXT_MAX } from './reason.js';

describe('Reason header (RFC 3326)', () => {
  it('reads the protocol, cause and unquoted text of the first reason', () => {
    expect(parseReason('Q.850;cause=17;text="User busy"')).toEqual({
      protocol: 'Q.850',
      cause: 17,
      text: 'User busy',
    });
    expect(parseReason('SIP ;cause=200 ;text="Call completed elsewhere", Q.850;cause=16')).toEqual({
      protocol: 'SIP',
      cause: 200,
      text: 'Call completed elsewhere',
    });
  });

  it('is lenient with what peers send: no text, no cause, a cause that is no number', () => {
    expect(parseReason('Q.850;cause=31')).toEqual({ protocol: 'Q.850', cause: 31, text: '' });
    expect(parseReason('SIP')).toEqual({ protocol: 'SIP', cause: 0, text: '' });
    expect(parseReason('Q.850;cause=abc;text=plain')).toEqual({ protocol: 'Q.850', cause: 0, text: 'plain' });
  });

  it('gives nothing for an absent or empty value, or one without a protocol token', () => {
    expect(parseReason(undefined)).toBeUndefined();
    expect(parseReason('')).toBeUndefined();
    expect(parseReason(';cause=16')).toBeUndefined();
    expect(parseReason('"quoted";cause=16')).toBeUndefined();
  });

  it('cuts a long text, in what it reads and what it writes', () => {
    const long = 'x'.repeat(REASON_TEXT_MAX + 50);
    expect(parseReason(`Q.850;cause=16;text="${long}"`)?.text).toHaveLength(REASON_TEXT_MAX);
    expect(formatReason({ protocol: 'Q.850', cause: 16, text: long })).toHaveLength(
      'Q.850;cause=16;text=""'.length + REASON_TEXT_MAX,
    );
  });

  it('writes a value that reads back the same, quotes escaped and line breaks removed', () => {
    const value = formatReason({ protocol: 'Q.850', cause: 16, text: 'the "app"\r\nhung up' });
    expect(value).toBe('Q.850;cause=16;text="the \\"app\\" hung up"');
    expect(parseReason(value)).toEqual({ protocol: 'Q.850', cause: 16, text: 'the "app" hung up' });
    expect(formatReason({ protocol: 'SIP', cause: 200, text: '' })).toBe('SIP;cause=200');
  });
});
