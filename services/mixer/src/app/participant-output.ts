// One participant's outgoing RTP: its own SSRC, a sequence number that goes up by one per packet sent and
// a timestamp that follows the mixer's clock (160 per tick, sent or not, so a pause in sending is a gap in
// time, not a jump back). Packets are written into a few preallocated buffers in turn: the socket may still
// hold the previous one while the next is built, and nothing is allocated per packet.
import { encodeG711Into, type G711Law } from '@callctl/rtp';
import { FRAME_SAMPLES } from '../domain/frame-mix.js';

const HEADER_BYTES = 12;
/** Buffers used in turn: a send completes long before the same buffer comes round again (4 × 20 ms). */
const BUFFERS = 4;

export interface OutputIdentity {
  ssrc: number;
  firstSequence: number;
  firstTimestamp: number;
}

export class ParticipantOutput {
  packetsOut = 0;
  private readonly buffers: Buffer[] = [];
  private turn = 0;
  private sequence: number;
  private timestamp: number;
  /** The next packet starts a talk spurt (first one, or after ticks with nothing sent): RTP marker. */
  private marker = true;

  constructor(law: G711Law, payloadType: number, identity: OutputIdentity) {
    this.law = law;
    this.sequence = identity.firstSequence & 0xffff;
    this.timestamp = identity.firstTimestamp >>> 0;
    for (let i = 0; i < BUFFERS; i++) {
      const buffer = Buffer.alloc(HEADER_BYTES + FRAME_SAMPLES);
      buffer[0] = 0x80;
      buffer[1] = payloadType & 0x7f;
      buffer.writeUInt32BE(identity.ssrc >>> 0, 8);
      this.buffers.push(buffer);
    }
  }

  private readonly law: G711Law;

  /** The packet carrying `mix` (160 samples) for this tick. */
  packet(mix: Int16Array): Buffer {
    const buffer = this.buffers[this.turn]!;
    this.turn = (this.turn + 1) % BUFFERS;
    buffer[1] = (this.marker ? 0x80 : 0) | (buffer[1]! & 0x7f);
    buffer.writeUInt16BE(this.sequence, 2);
    buffer.writeUInt32BE(this.timestamp, 4);
    encodeG711Into(this.law, mix, buffer.subarray(HEADER_BYTES));
    this.sequence = (this.sequence + 1) & 0xffff;
    this.marker = false;
    this.packetsOut++;
    return buffer;
  }

  /** Moves the clock on one tick; `sent` false: nothing went out this tick (the next packet is marked). */
  advance(sent: boolean): void {
    this.timestamp = (this.timestamp + FRAME_SAMPLES) >>> 0;
    if (!sent) this.marker = true;
  }
}
