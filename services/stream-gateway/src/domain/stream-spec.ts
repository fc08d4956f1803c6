// What a stream is asked to be, checked: the endpoint's URL, the tracks and the media format of `media`
// payloads. Pure.
import { StreamValidationError } from './errors.js';

export type Tracks = 'per-participant' | 'mixed';
export type Encoding = 'PCMU' | 'L16';
export type Role = 'caller' | 'callee' | 'participant' | 'supervisor';

export interface MediaFormat {
  readonly encoding: Encoding;
  readonly sampleRate: 8000 | 16000;
}

/** One party of a stream; its channel id is its leg id. */
export interface Participant {
  readonly legId: string;
  readonly role: string;
  readonly fromUri: string;
  readonly toUri: string;
  readonly held: boolean;
  /** Where its media is in rtpengine: the fork copies what this tag sends. */
  readonly sessionId: string;
  readonly tag: string;
}

export interface StreamSpec {
  readonly streamId: string;
  readonly callId: string;
  readonly url: URL;
  /** The upgrade's Authorization header; empty: none. */
  readonly authorization: string;
  readonly tracks: Tracks;
  readonly format: MediaFormat;
  readonly bidirectional: boolean;
  readonly customParameters: Readonly<Record<string, string>>;
  readonly context: Readonly<Record<string, string>>;
}

/** wss:// always, ws:// only where allowed (tests, a trusted network). */
export function endpointUrl(text: string, allowInsecure: boolean): URL {
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    throw new StreamValidationError(`the stream URL ${JSON.stringify(text)} does not parse`, { url: text });
  }
  if (url.protocol === 'ws:' && !allowInsecure)
    throw new StreamValidationError(
      'ws:// stream URLs are refused (STREAM_ALLOW_INSECURE is off): use wss://',
      { url: text },
    );
  if (url.protocol !== 'wss:' && url.protocol !== 'ws:')
    throw new StreamValidationError(`the stream URL must be wss:// (or ws://), not ${url.protocol}//`, {
      url: text,
    });
  return url;
}

/** PCMU is 8 kHz only; L16 8 or 16 kHz; a rate of 0 is 8 kHz. */
export function mediaFormat(encoding: Encoding, sampleRate: number): MediaFormat {
  const rate = sampleRate === 0 ? 8000 : sampleRate;
  if (encoding === 'PCMU' && rate === 8000) return { encoding, sampleRate: 8000 };
  if (encoding === 'L16' && (rate === 8000 || rate === 16000)) return { encoding, sampleRate: rate };
  throw new StreamValidationError(`${encoding} at ${sampleRate} Hz is not a stream format`, {
    encoding,
    sampleRate,
  });
}

/** Samples in one 20 ms frame at the format's rate. */
export const frameSamples = (format: MediaFormat): number => format.sampleRate / 50;

/** Bytes of one 20 ms frame's payload: PCMU 160, L16 320 (8 kHz) or 640 (16 kHz). */
export const frameBytes = (format: MediaFormat): number =>
  format.encoding === 'PCMU' ? 160 : 2 * frameSamples(format);
