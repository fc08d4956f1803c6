// A participant's payloads → the mixer's 8 kHz samples, one packet at a time into a reused frame. G.711 is
// decoded by table; G.722 (a wideband party's fork, passed through by rtpengine, which does not transcode
// a subscription) by libs/rtp's decoder to 16 kHz, then low-passed and decimated to 8 kHz (HalfBandDecimator:
// dropping every other sample would fold 4-8 kHz into the band). G.722's RTP clock is 8000 (RFC 3551), so
// one code is one 8 kHz sample and one timestamp unit, like G.711: the jitter buffer's arithmetic holds.
import { decodeG711Into, G722Decoder, HalfBandDecimator } from '@callctl/rtp';
import type { CodecName } from './participant-spec.js';

export interface InputDecoder {
  /** Decodes `payload` into `out` (at least payload.length long) from index 0; returns the samples written. */
  decodeInto(payload: Uint8Array, out: Int16Array): number;
  /** A new timeline (discontinuity): a stateful decoder starts afresh, as its encoder did. */
  reset(): void;
}

class G711InputDecoder implements InputDecoder {
  constructor(private readonly law: 'PCMU' | 'PCMA') {}

  decodeInto(payload: Uint8Array, out: Int16Array): number {
    decodeG711Into(this.law, payload, out);
    return payload.length;
  }

  reset(): void {}
}

class G722InputDecoder implements InputDecoder {
  private decoder = new G722Decoder();
  private readonly decimator = new HalfBandDecimator();
  /** The 16 kHz samples of one packet: grown (rarely, once) for a packet longer than 20 ms. */
  private wide = new Int16Array(2 * 160);

  decodeInto(payload: Uint8Array, out: Int16Array): number {
    if (this.wide.length < 2 * payload.length) this.wide = new Int16Array(2 * payload.length);
    const count = this.decoder.decodeInto(payload, this.wide);
    return this.decimator.decimateInto(this.wide, out, count);
  }

  reset(): void {
    this.decoder = new G722Decoder();
    this.decimator.reset();
  }
}

export function inputDecoderFor(codec: CodecName): InputDecoder {
  return codec === 'G722' ? new G722InputDecoder() : new G711InputDecoder(codec);
}
