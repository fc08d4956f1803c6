import { MalformedTelephoneEventError } from './errors.js';
import { buildTelephoneEvent, dtmfEventCode, dtmfKeyOf, parseTelephoneEvent } from './telephone-event.js';

describe('RFC 4733 telephone-event', () => {
  it('round-trips an event with its end bit, volume and duration', () => {
    const payload = buildTelephoneEvent({ event: 11, end: true, volume: 63, duration: 1280 });
    expect(Array.from(payload)).toEqual([11, 0x80 | 63, 0x05, 0x00]);
    expect(parseTelephoneEvent(payload)).toEqual({ event: 11, end: true, volume: 63, duration: 1280 });
  });

  it('defaults the volume to 10 and clips a duration beyond 16 bits', () => {
    expect(parseTelephoneEvent(buildTelephoneEvent({ event: 5, end: false, duration: 70000 }))).toEqual({
      event: 5,
      end: false,
      volume: 10,
      duration: 0xffff,
    });
  });

  it('maps DTMF keys to event codes and back', () => {
    expect([...'0123456789*#abcd'].map(dtmfEventCode)).toEqual([...Array(16).keys()]);
    expect(dtmfKeyOf(11)).toBe('#');
    expect(dtmfKeyOf(16)).toBeUndefined();
    expect(() => dtmfEventCode('E')).toThrow(/not a DTMF key: "E"/);
    expect(() => dtmfEventCode('12')).toThrow(RangeError);
  });

  it('rejects a payload under 4 bytes with a typed error', () => {
    expect(() => parseTelephoneEvent(Uint8Array.of(1, 2, 3))).toThrow(MalformedTelephoneEventError);
    expect(() => parseTelephoneEvent(Uint8Array.of(1, 2, 3))).toThrow(/4 bytes, got 3/);
  });
});
