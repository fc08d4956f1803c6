// RTP packets (RFC 3550) and telephone-event payloads (RFC 4733) as the loopback test parties write and read
// them: one home, so that every party parses what rtpengine sends the same way.

/** The DTMF keys in the order of their RFC 4733 event codes (0-9, 10 = *, 11 = #, 12-15 = A-D). */
export const DTMF_EVENT_KEYS = '0123456789*#ABCD';

/** The RFC 4733 event code of a DTMF key. */
export function dtmfEventCode(key: string): number {
  const code = key.length === 1 ? DTMF_EVENT_KEYS.indexOf(key.toUpperCase()) : -1;
  if (code < 0) throw new Error(`not a DTMF key: ${JSON.stringify(key)}`);
  return code;
}

export interface RtpHeader {
  payloadType: number;
  marker: boolean;
  sequence: number;
  timestamp: number;
  ssrc: number;
}

export interface RtpPacket extends RtpHeader {
  /** What follows the header, CSRCs and extension, without padding. */
  payload: Buffer;
}

/** A version 2 RTP packet: a 12-byte header (no CSRC, extension or padding) and the payload. */
export function buildRtpPacket(header: RtpHeader, payload: Buffer): Buffer {
  const bytes = Buffer.alloc(12);
  bytes[0] = 0x80;
  bytes[1] = (header.marker ? 0x80 : 0) | (header.payloadType & 0x7f);
  bytes.writeUInt16BE(header.sequence & 0xffff, 2);
  bytes.writeUInt32BE(header.timestamp >>> 0, 4);
  bytes.writeUInt32BE(header.ssrc >>> 0, 8);
  return Buffer.concat([bytes, payload]);
}

/** Reads an RTP packet; undefined for anything that is not version 2 RTP (e.g. a stray STUN or RTCP-less junk). */
export function parseRtpPacket(message: Buffer): RtpPacket | undefined {
  if (message.length < 12 || (message[0]! & 0xc0) !== 0x80) return undefined;
  let start = 12 + 4 * (message[0]! & 0x0f); // CSRCs
  if (message[0]! & 0x10) {
    if (message.length < start + 4) return undefined;
    start += 4 + 4 * message.readUInt16BE(start + 2); // header extension
  }
  let end = message.length;
  if (message[0]! & 0x20) end -= message[end - 1]!; // padding: its last byte counts it
  if (end < start) return undefined;
  return {
    payloadType: message[1]! & 0x7f,
    marker: (message[1]! & 0x80) !== 0,
    sequence: message.readUInt16BE(2),
    timestamp: message.readUInt32BE(4),
    ssrc: message.readUInt32BE(8),
    payload: message.subarray(start, end),
  };
}

export interface TelephoneEvent {
  /** Event code: a DTMF key's is its index in DTMF_EVENT_KEYS. */
  event: number;
  end: boolean;
  /** Power level in -dBm0 (0-63). */
  volume: number;
  /** In RTP timestamp units since the event's start. */
  duration: number;
}

/** The 4-byte RFC 4733 payload; a duration beyond 16 bits is clipped (the RFC's long-event rule is not needed). */
export function telephoneEventPayload({
  event,
  end,
  volume = 10,
  duration,
}: Omit<TelephoneEvent, 'volume'> & { volume?: number }): Buffer {
  const payload = Buffer.alloc(4);
  payload[0] = event;
  payload[1] = (end ? 0x80 : 0) | (volume & 0x3f);
  payload.writeUInt16BE(Math.min(duration, 0xffff), 2);
  return payload;
}

/** Reads an RFC 4733 payload; undefined when it is too short. */
export function parseTelephoneEvent(payload: Buffer): TelephoneEvent | undefined {
  if (payload.length < 4) return undefined;
  return {
    event: payload[0]!,
    end: (payload[1]! & 0x80) !== 0,
    volume: payload[1]! & 0x3f,
    duration: payload.readUInt16BE(2),
  };
}
