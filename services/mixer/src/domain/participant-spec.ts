// What a participant is, checked once from the request: its id, codec and direction. Closed sets are
// `as const` objects (STYLE 12); the proto's Direction enum is mapped to them at the gRPC edge.
import { MixerValidationError } from './errors.js';

/**
 * Codecs by their static payload type (RFC 3551). G722 is heard only: a recvonly participant (the fork of
 * a wideband party, which rtpengine passes through as G.722) decoded down to the 8 kHz mix; the mixer has no
 * G.722 encoder, so a participant that is sent a mix speaks PCMU or PCMA.
 */
export const CODECS = { PCMU: 0, PCMA: 8, G722: 9 } as const;
export type CodecName = keyof typeof CODECS;
/** What the mixer encodes a mix in. */
export type OutputCodec = Exclude<CodecName, 'G722'>;

export const DIRECTIONS = ['sendrecv', 'recvonly', 'sendonly'] as const;
/** Seen from the mixer: recvonly = the mixer only receives (a fork); sendonly = it only sends. */
export type Direction = (typeof DIRECTIONS)[number];

export interface ParticipantSpec {
  id: string;
  codec: CodecName;
  payloadType: number;
  direction: Direction;
}

/** Ids end up in logs and metric labels; one token, bounded. */
const ID_PATTERN = /^[A-Za-z0-9_.:-]{1,128}$/;

export function checkId(
  what: 'room_id' | 'participant_id' | 'listener_id' | 'source_id',
  id: string,
): string {
  if (!ID_PATTERN.test(id))
    throw new MixerValidationError(
      `${what} must be 1-128 of letters, digits, _ . : -; got ${JSON.stringify(id)}`,
      {
        [what]: id,
      },
    );
  return id;
}

/** "" is PCMU; case does not matter. */
export function codecOf(name: string): CodecName {
  const upper = name === '' ? 'PCMU' : name.toUpperCase();
  if (upper !== 'PCMU' && upper !== 'PCMA' && upper !== 'G722')
    throw new MixerValidationError(`codec must be PCMU, PCMA or G722, got ${JSON.stringify(name)}`, {
      codec: name,
    });
  return upper;
}

export function participantSpec(id: string, codec: string, direction: Direction): ParticipantSpec {
  const codecName = codecOf(codec);
  if (codecName === 'G722' && isListener(direction))
    throw new MixerValidationError(
      `codec G722 is for recvonly participants only (the mixer sends PCMU or PCMA), got ${direction}`,
      { codec, direction },
    );
  return { id: checkId('participant_id', id), codec: codecName, payloadType: CODECS[codecName], direction };
}

/**
 * The codec of the mix sent to the participant: its own. A G722 participant is recvonly (participantSpec
 * refuses it otherwise), so it is never sent anything: PCMU only keeps the type closed.
 */
export const outputCodecOf = (spec: ParticipantSpec): OutputCodec =>
  spec.codec === 'G722' ? 'PCMU' : spec.codec;

/** Whether the mixer takes audio from it (a source) and sends a mix to it (a listener). */
export const isSource = (direction: Direction): boolean => direction !== 'sendonly';
export const isListener = (direction: Direction): boolean => direction !== 'recvonly';
