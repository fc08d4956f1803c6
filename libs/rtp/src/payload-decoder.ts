// Payload → 16-bit samples for the codecs a recorder receives. Only G.711: the recorder's `subscribe
// request` asks rtpengine to transcode the fork to PCMU or PCMA (see the README, "Codec decision"), so no
// Opus, G.722 or G.729 decoder is needed here.
import { UnsupportedCodecError } from './errors.js';
import { decodeAlaw, decodeMulaw } from './g711.js';

export interface PayloadDecoder {
  readonly encodingName: 'PCMU' | 'PCMA';
  /** Samples per second of the decoded audio. */
  readonly sampleRate: number;
  /** RTP timestamp units per decoded sample (1 for G.711). */
  readonly timestampUnitsPerSample: number;
  decode(payload: Uint8Array): Int16Array;
  /** How many samples a payload decodes to, without decoding it (a jitter buffer's packet duration). */
  samplesIn(payload: Uint8Array): number;
}

/** The static payload types of RFC 3551 that this library decodes. */
export const STATIC_PAYLOAD_TYPES = { 0: 'PCMU', 8: 'PCMA' } as const;

/** A decoder for an SDP rtpmap (`PCMU/8000`: encodingName 'PCMU', clockRate 8000); case-insensitive. */
export function payloadDecoderFor(encodingName: string, clockRate: number): PayloadDecoder {
  const name = encodingName.toUpperCase();
  if ((name === 'PCMU' || name === 'PCMA') && clockRate === 8000)
    return {
      encodingName: name,
      sampleRate: 8000,
      timestampUnitsPerSample: 1,
      decode: name === 'PCMU' ? decodeMulaw : decodeAlaw,
      samplesIn: (payload) => payload.length,
    };
  throw new UnsupportedCodecError(
    `no decoder for ${encodingName}/${clockRate}: subscribe with codec transcode PCMU or PCMA`,
    { encodingName, clockRate },
  );
}
