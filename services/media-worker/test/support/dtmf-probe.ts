import { createSocket, type Socket } from 'node:dgram';
import { randomInt } from 'node:crypto';
import { encodeMulaw } from '@callctl/testing';

/** The RFC 4733 event codes of the DTMF keys (RFC 4733 §3.2). */
const EVENT_DIGITS = '0123456789*#ABCD';
const EVENT_PT = 101;

export interface ReceivedEvent {
  digit: string;
  end: boolean;
  /** RTP timestamp: one per event, shared by its start, updates and end packets. */
  timestamp: number;
}

/**
 * An RTP party that offers PCMU with or without telephone-event, sends silence every 20 ms once it knows
 * where to, and records the RFC 4733 events it receives (payload type 101, the one its SDP offers).
 */
export class DtmfProbe {
  readonly events: ReceivedEvent[] = [];
  /** Payload types of every packet received. */
  readonly payloadTypes = new Set<number>();
  /** Audio (PCMU) packets received. */
  audioPackets = 0;
  /** Frequencies mixed into what is sent now; empty: silence. */
  private tone: readonly number[] = [];
  private samplesSent = 0;
  private timer: NodeJS.Timeout | undefined;
  private seq = randomInt(0, 0xffff);
  private timestamp = randomInt(0, 0x7fffffff);
  private readonly ssrc = randomInt(1, 0x7fffffff);

  private constructor(
    private readonly socket: Socket,
    private readonly withEvents: boolean,
  ) {
    socket.on('message', (message: Buffer) => this.onPacket(message));
  }

  static async open(options: { telephoneEvent: boolean }): Promise<DtmfProbe> {
    const socket = createSocket('udp4');
    await new Promise<void>((resolve) => socket.bind(0, '127.0.0.1', () => resolve()));
    return new DtmfProbe(socket, options.telephoneEvent);
  }

  sdp(): string {
    const port = this.socket.address().port;
    return [
      'v=0',
      `o=- ${this.ssrc} 1 IN IP4 127.0.0.1`,
      's=-',
      'c=IN IP4 127.0.0.1',
      't=0 0',
      `m=audio ${port} RTP/AVP 0${this.withEvents ? ` ${EVENT_PT}` : ''}`,
      'a=rtpmap:0 PCMU/8000',
      ...(this.withEvents ? [`a=rtpmap:${EVENT_PT} telephone-event/8000`, `a=fmtp:${EVENT_PT} 0-16`] : []),
      'a=ptime:20',
      'a=sendrecv',
      '',
    ].join('\r\n');
  }

  /**
   * Sends the dual tone of `frequencies` (a DTMF key in-band, e.g. 697 + 1209 Hz for 1) for `ms`, then
   * silence again.
   */
  async sendTone(frequencies: readonly number[], ms: number): Promise<void> {
    this.tone = frequencies;
    await new Promise((resolve) => setTimeout(resolve, ms));
    this.tone = [];
  }

  /** Starts sending µ-law silence (or the tone of sendTone) to the address in rtpengine's SDP for this party. */
  useRemote(sdp: string): void {
    const address = /c=IN IP4 (\S+)/.exec(sdp)?.[1];
    const port = Number(/m=audio (\d+)/.exec(sdp)?.[1]);
    if (!address || !port) throw new Error(`no media address in SDP:\n${sdp}`);
    clearInterval(this.timer);
    this.timer = setInterval(() => {
      const packet = Buffer.alloc(12 + 160, 0xff); // 0xff: µ-law zero
      for (let i = 0; i < 160 && this.tone.length > 0; i++) {
        const t = (this.samplesSent + i) / 8000;
        const sample = this.tone.reduce((sum, f) => sum + 6000 * Math.sin(2 * Math.PI * f * t), 0);
        packet[12 + i] = encodeMulaw(sample);
      }
      this.samplesSent += 160;
      packet[0] = 0x80;
      packet[1] = 0;
      packet.writeUInt16BE(this.seq, 2);
      packet.writeUInt32BE(this.timestamp >>> 0, 4);
      packet.writeUInt32BE(this.ssrc, 8);
      this.seq = (this.seq + 1) & 0xffff;
      this.timestamp = (this.timestamp + 160) >>> 0;
      this.socket.send(packet, port, address);
    }, 20);
  }

  /** The keys received, one per event (start, updates and end packets of one event share a timestamp). */
  digits(): string[] {
    const seen = new Map<number, string>();
    for (const event of this.events) if (!seen.has(event.timestamp)) seen.set(event.timestamp, event.digit);
    return [...seen.values()];
  }

  async close(): Promise<void> {
    clearInterval(this.timer);
    await new Promise<void>((resolve) => this.socket.close(() => resolve()));
  }

  private onPacket(message: Buffer): void {
    if (message.length < 12 || (message[0]! & 0xc0) !== 0x80) return;
    const payloadType = message[1]! & 0x7f;
    this.payloadTypes.add(payloadType);
    if (payloadType === 0) this.audioPackets++;
    if (payloadType !== EVENT_PT) return;
    const offset = 12 + 4 * (message[0]! & 0x0f);
    const code = message[offset];
    if (code === undefined) return;
    this.events.push({
      digit: EVENT_DIGITS[code] ?? `?${code}`,
      end: (message[offset + 1]! & 0x80) !== 0,
      timestamp: message.readUInt32BE(4),
    });
  }
}
