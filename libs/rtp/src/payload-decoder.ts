// Payload → 16-bit samples for the codecs a recorder receives: G.711 (8 kHz) and G.722 (16 kHz). The
// recorder's `subscribe request` asks rtpengine for these only and lets it transcode anything else (see the
// README, "Codec decision"), so no Opus or G.729 decoder is needed here.
import { UnsupportedCodecError } from './errors.js';
import { decodeAlaw, decodeMulaw } from './g711.js';
import { G722Decoder } from './g722.js';

export type DecodableEncoding = 'PCMU' | 'PCMA' | 'G722';

export interface PayloadDecoder {
  readonly encodingName: DecodableEncoding;
  /** Samples per second of the decoded audio. */
  readonly sampleRate: 8000 | 16000;
  /** RTP timestamp units per decoded sample: 1 for G.711, 0.5 for G.722 (RTP clock 8000, audio 16 kHz). */
  readonly timestampUnitsPerSample: number;
  /** Payloads of one stream, in order (G.722 keeps state from one to the next). */
  decode(payload: Uint8Array): Int16Array;
  /** How many samples a payload decodes to, without decoding it. */
  samplesIn(payload: Uint8Array): number;
}

/** The static payload types of RFC 3551 that this library decodes. */
export const STATIC_PAYLOAD_TYPES = { 0: 'PCMU', 8: 'PCMA', 9: 'G722' } as const;

/**
 * A decoder for an SDP rtpmap (`PCMU/8000`: encodingName 'PCMU', clockRate 8000; case-insensitive). Each call
 * returns a new decoder: use one per stream, and a new one after a discontinuity (a G.722 decoder's
 * predictor state belongs to its stream).
 */
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
  if (name === 'G722' && clockRate === 8000) {
    const decoder = new G722Decoder();
    return {
      encodingName: 'G722',
      sampleRate: 16000,
      timestampUnitsPerSample: 0.5,
      decode: (payload) => decoder.decode(payload),
      samplesIn: (payload) => payload.length * 2,
    };
  }
  throw new UnsupportedCodecError(
    `no decoder for ${encodingName}/${clockRate}: subscribe with codec transcode PCMU, PCMA or G722`,
    { encodingName, clockRate },
  );
}
