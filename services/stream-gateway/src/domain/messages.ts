// The JSON messages of a stream (the message set of the README): what the gateway sends, each with
// `event`, `sequenceNumber` and `streamId` first, and what a bidirectional endpoint may send back. Pure.
import type { Participant, MediaFormat, Tracks } from './stream-spec.js';

export const PROTOCOL = 'callctl.stream';
export const PROTOCOL_VERSION = '1';
/** The channel id of a mixed track. */
export const MIXED_CHANNEL = 'mixed';

export interface ParticipantMessage {
  channel: string;
  legId: string;
  role: string;
  from: string;
  to: string;
  held: boolean;
}

/** A message before its sequence number: the body under its event's key. */
export type OutboundBody =
  | { event: 'connect'; protocol: string; version: string }
  | {
      event: 'start';
      start: {
        callId: string;
        legIds: string[];
        participants: ParticipantMessage[];
        tracks: Tracks;
        mediaFormat: { encoding: 'audio/x-mulaw' | 'audio/l16'; sampleRate: number; channels: 1 };
        bidirectional: boolean;
        customParameters: Record<string, string>;
        context: Record<string, string>;
        reconnects: number;
      };
    }
  | {
      event: 'metadata';
      metadata: { reason: string; participants: ParticipantMessage[]; context: Record<string, string> };
    }
  | { event: 'dtmf'; dtmf: { channel: string; legId: string; digit: string; durationMs: number } }
  | { event: 'media'; media: { channel: string; chunk: number; timestamp: number; payload: string } }
  | { event: 'mark'; mark: { name: string } }
  | { event: 'close'; close: { reason: string } };

export type OutboundEvent = OutboundBody['event'];

/** The text frame of `body` as message number `sequenceNumber` of stream `streamId`. */
export function serialize(body: OutboundBody, sequenceNumber: number, streamId: string): string {
  const { event, ...rest } = body;
  return JSON.stringify({ event, sequenceNumber, streamId, ...rest });
}

export function participantMessage(participant: Participant): ParticipantMessage {
  return {
    channel: participant.legId,
    legId: participant.legId,
    role: participant.role,
    from: participant.fromUri,
    to: participant.toUri,
    held: participant.held,
  };
}

export function mediaFormatMessage(format: MediaFormat) {
  return {
    encoding: format.encoding === 'PCMU' ? ('audio/x-mulaw' as const) : ('audio/l16' as const),
    sampleRate: format.sampleRate,
    channels: 1 as const,
  };
}

/** What an endpoint sent, read. */
export type EndpointMessage =
  | { kind: 'media'; payload: Buffer }
  | { kind: 'clear' }
  | { kind: 'mark'; name: string }
  | { kind: 'invalid'; reason: string };

const isRecord = (value: unknown): value is Record<string, unknown> =>
  typeof value === 'object' && value !== null && !Array.isArray(value);

/** Reads one text frame from the endpoint; anything malformed or unknown is `invalid` with why. */
export function parseEndpointMessage(text: string): EndpointMessage {
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    return { kind: 'invalid', reason: 'not JSON' };
  }
  if (!isRecord(parsed)) return { kind: 'invalid', reason: 'not a JSON object' };
  switch (parsed['event']) {
    case 'media': {
      const media = parsed['media'];
      const payload = isRecord(media) ? media['payload'] : undefined;
      if (typeof payload !== 'string' || !/^[A-Za-z0-9+/]*={0,2}$/.test(payload))
        return { kind: 'invalid', reason: 'media without a base64 media.payload' };
      return { kind: 'media', payload: Buffer.from(payload, 'base64') };
    }
    case 'clear':
      return { kind: 'clear' };
    case 'mark': {
      const mark = parsed['mark'];
      const name = isRecord(mark) ? mark['name'] : undefined;
      if (typeof name !== 'string') return { kind: 'invalid', reason: 'mark without a mark.name' };
      return { kind: 'mark', name };
    }
    default:
      return { kind: 'invalid', reason: `unknown event ${JSON.stringify(parsed['event'])}` };
  }
}
