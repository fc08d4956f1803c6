// RFC 4733 telephone-event payloads (DTMF keys as RTP events): a 4-byte event, end bit, volume, duration.
import { MalformedTelephoneEventError } from './errors.js';

/** The DTMF keys in the order of their RFC 4733 event codes (0-9, 10 = *, 11 = #, 12-15 = A-D). */
export const DTMF_EVENT_KEYS = '0123456789*#ABCD';

export interface TelephoneEvent {
  /** Event code: a DTMF key's is its index in DTMF_EVENT_KEYS. */
  event: number;
  /** Set on the (usually three) last packets of the event. */
  end: boolean;
  /** Power level in -dBm0 (0-63; 63 is near silence). */
  volume: number;
  /** In RTP timestamp units since the event's start (its packets all carry the start timestamp). */
  duration: number;
}

/** The RFC 4733 event code of a DTMF key; RangeError for anything else. */
export function dtmfEventCode(key: string): number {
  const code = key.length === 1 ? DTMF_EVENT_KEYS.indexOf(key.toUpperCase()) : -1;
  if (code < 0) throw new RangeError(`not a DTMF key: ${JSON.stringify(key)}`);
  return code;
}

/** The DTMF key of an event code, undefined for the non-DTMF events (flash, tones: 16 and up). */
export function dtmfKeyOf(event: number): string | undefined {
  return DTMF_EVENT_KEYS[event];
}

/** Reads an RFC 4733 payload (extra bytes, e.g. redundant events, are ignored); throws when under 4 bytes. */
export function parseTelephoneEvent(payload: Uint8Array): TelephoneEvent {
  if (payload.length < 4)
    throw new MalformedTelephoneEventError(`a telephone-event payload has 4 bytes, got ${payload.length}`, {
      length: payload.length,
    });
  return {
    event: payload[0]!,
    end: (payload[1]! & 0x80) !== 0,
    volume: payload[1]! & 0x3f,
    duration: (payload[2]! << 8) | payload[3]!,
  };
}

/**
 * The 4-byte RFC 4733 payload. Volume defaults to 10 (rtpengine's own default of 63 is near silence for a
 * strict receiver); a duration beyond 16 bits is clipped (the RFC's long-event segmentation is not needed
 * for key presses).
 */
export function buildTelephoneEvent({
  event,
  end,
  volume = 10,
  duration,
}: Omit<TelephoneEvent, 'volume'> & { volume?: number }): Uint8Array {
  return Uint8Array.of(
    event & 0xff,
    (end ? 0x80 : 0) | (volume & 0x3f),
    (Math.min(duration, 0xffff) >> 8) & 0xff,
    Math.min(duration, 0xffff) & 0xff,
  );
}
