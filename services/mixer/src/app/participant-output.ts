// One participant's outgoing RTP: its own SSRC, a sequence number that goes up by one per packet sent and
// a timestamp that follows the mixer's clock (160 per tick, sent or not, so a pause in sending is a gap in
// time, not a jump back). Packets are written into preallocated buffers taken in turn. Node's UDP send
// happens after the call returns (the address is looked up first), so a buffer is written again only once
// its send has completed; a tick that finds the next one still in flight (a catch-up burst after the event
// loop stalled) adds a buffer to the pool rather than overwrite a packet not yet sent.
import { encodeG711Into, type G711Law } from '@callctl/rtp';
import { FRAME_SAMPLES } from '../domain/frame-mix.js';
import type { RtpPort } from './ports.js';

const HEADER_BYTES = 12;
/** Buffers to begin with: one tick's packet is sent long before the same buffer comes round again. */
const INITIAL_BUFFERS = 4;

export interface OutputIdentity {
  ssrc: number;
  firstSequence: number;
  firstTimestamp: number;
}

export interface Destination {
  address: string;
  port: number;
}

/** A reusable packet buffer and the callback (made once) that frees it when its send completes. */
interface Slot {
  buffer: Buffer;
  inFlight: boolean;
  onSent: () => void;
}

export class ParticipantOutput {
  packetsOut = 0;
  private readonly slots: Slot[] = [];
  private turn = 0;
  private sequence: number;
  private timestamp: number;
  /** The next packet starts a talk spurt (first one, or after ticks with nothing sent): RTP marker. */
  private marker = true;

  constructor(
    private readonly law: G711Law,
    private readonly payloadType: number,
    private readonly identity: OutputIdentity,
  ) {
    this.sequence = identity.firstSequence & 0xffff;
    this.timestamp = identity.firstTimestamp >>> 0;
    for (let i = 0; i < INITIAL_BUFFERS; i++) this.slots.push(this.newSlot());
  }

  /** Sends `mix` (160 samples) as this tick's packet through `rtp` to `to`. */
  send(mix: Int16Array, rtp: RtpPort, to: Destination): void {
    const slot = this.freeSlot();
    const buffer = slot.buffer;
    buffer[1] = (this.marker ? 0x80 : 0) | (this.payloadType & 0x7f);
    buffer.writeUInt16BE(this.sequence, 2);
    buffer.writeUInt32BE(this.timestamp, 4);
    encodeG711Into(this.law, mix, buffer.subarray(HEADER_BYTES));
    this.sequence = (this.sequence + 1) & 0xffff;
    this.marker = false;
    this.packetsOut++;
    slot.inFlight = true;
    rtp.send(buffer, to.port, to.address, slot.onSent);
  }

  /** Moves the clock on one tick; `sent` false: nothing went out this tick (the next packet is marked). */
  advance(sent: boolean): void {
    this.timestamp = (this.timestamp + FRAME_SAMPLES) >>> 0;
    if (!sent) this.marker = true;
  }

  private freeSlot(): Slot {
    for (let i = 0; i < this.slots.length; i++) {
      const slot = this.slots[this.turn]!;
      this.turn = (this.turn + 1) % this.slots.length;
      if (!slot.inFlight) return slot;
    }
    const slot = this.newSlot();
    this.slots.push(slot);
    return slot;
  }

  private newSlot(): Slot {
    const buffer = Buffer.alloc(HEADER_BYTES + FRAME_SAMPLES);
    buffer[0] = 0x80;
    buffer.writeUInt32BE(this.identity.ssrc >>> 0, 8);
    const slot: Slot = { buffer, inFlight: false, onSent: () => (slot.inFlight = false) };
    return slot;
  }
}
