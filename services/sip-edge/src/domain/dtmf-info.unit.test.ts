import { DEFAULT_INFO_DIGIT_MS, parseDtmfInfo } from './dtmf-info.js';

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
