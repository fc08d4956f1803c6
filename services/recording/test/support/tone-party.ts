// A loopback party for the recorder tests: 20 ms RTP payloads of a tone (or silence), sent on a drift-free
// 20 ms schedule to a recorder's port, optionally late, reordered or with packets left out.
import { randomInt } from 'node:crypto';
import { createSocket } from 'node:dgram';
import { buildRtpPacket, encodeAlaw, encodeMulaw } from '@callctl/rtp';
import { encodeFrames, makeToneFile } from '@callctl/testing';

export type TestCodec = 'PCMU' | 'PCMA' | 'G722';
export const PAYLOAD_TYPES: Record<TestCodec, number> = { PCMU: 0, PCMA: 8, G722: 9 };
const PACKET_MS = 20;

/** 20 ms G.711 payloads of a sine (amplitude 8000, about -12 dBFS); hz 0 = digital silence. */
export function g711Payloads(codec: 'PCMU' | 'PCMA', hz: number, seconds: number): Uint8Array[] {
  const samples = Int16Array.from({ length: Math.round(seconds * 8000) }, (_, i) =>
    Math.round(8000 * Math.sin((2 * Math.PI * hz * i) / 8000)),
  );
  const codes = codec === 'PCMU' ? encodeMulaw(samples) : encodeAlaw(samples);
  const payloads: Uint8Array[] = [];
  for (let at = 0; at + 160 <= codes.length; at += 160) payloads.push(codes.subarray(at, at + 160));
  return payloads;
}

/** 20 ms G.722 payloads of a 16 kHz sine, encoded by ffmpeg. */
export async function g722Payloads(dir: string, hz: number, seconds: number): Promise<Uint8Array[]> {
  const file = makeToneFile(dir, `tone-${hz}-16k.wav`, seconds, hz, { rateHz: 16000 });
  return encodeFrames('G722', file);
}

export interface SendOptions {
  port: number;
  payloadType: number;
  payloads: readonly Uint8Array[];
  /** Packets (indices in sending order, events included) never sent: loss. */
  drop?: ReadonlySet<number>;
  /** Packet i is sent after packet i + 1 (indices in sending order): reordering by one slot. */
  swapWithNext?: ReadonlySet<number>;
  /**
   * RFC 4733 payload type: after every 25th audio packet an event packet follows in the same stream (its own
   * sequence number, the next audio timestamp), as a sender of a key press does. Events are no audio.
   */
  eventPayloadType?: number;
  /** Time between audio packets (ms): 20 unless told; less is a sender whose clock runs fast. */
  intervalMs?: number;
  /** The stream's SSRC and first timestamp (random unless told). */
  ssrc?: number;
  firstTimestamp?: number;
}

export interface SendResult {
  /** Packets sent, events included. */
  sent: number;
  /** performance.now() when sending started and when the last packet went out. */
  firstAtMs: number;
  lastAtMs: number;
}

/**
 * Sends the payloads, one audio packet every 20 ms from now (timestamps 160 apart: the 8 kHz RTP clock,
 * G.722 included); an event packet goes right after the audio packet it follows.
 */
export async function sendPayloads(options: SendOptions): Promise<SendResult> {
  const socket = createSocket('udp4');
  await new Promise<void>((resolve) => socket.bind(0, '127.0.0.1', resolve));
  const ssrc = options.ssrc ?? randomInt(1, 0x7fffffff);
  let sequence = randomInt(0, 0xffff);
  const firstTimestamp = options.firstTimestamp ?? randomInt(0, 0x7fffffff);
  const intervalMs = options.intervalMs ?? PACKET_MS;
  const packets: { slot: number; bytes: Buffer }[] = [];
  options.payloads.forEach((payload, i) => {
    const timestamp = (firstTimestamp + i * 160) >>> 0;
    const header = { marker: i === 0, sequence: sequence++ & 0xffff, ssrc };
    packets.push({
      slot: i,
      bytes: buildRtpPacket({ ...header, payloadType: options.payloadType, timestamp }, payload),
    });
    if (options.eventPayloadType !== undefined && i % 25 === 24) {
      const event = Uint8Array.of(1, 0x80 | 10, 0, 160); // key 1, end bit, volume 10, 160 units
      packets.push({
        slot: i,
        bytes: buildRtpPacket(
          {
            marker: false,
            sequence: sequence++ & 0xffff,
            ssrc,
            payloadType: options.eventPayloadType,
            timestamp: (timestamp + 160) >>> 0,
          },
          event,
        ),
      });
    }
  });
  const order = sendingOrder(packets.length, options.swapWithNext ?? new Set());
  const start = performance.now();
  let sent = 0;
  let lastAtMs = start;
  try {
    for (let k = 0; k < order.length; k++) {
      const i = order[k]!;
      const wait = start + packets[k]!.slot * intervalMs - performance.now();
      if (wait > 0) await new Promise((resolve) => setTimeout(resolve, wait));
      if (options.drop?.has(i)) continue;
      // Waits for the datagram to leave: closing the socket right after a send may drop it.
      await new Promise<void>((resolve, reject) =>
        socket.send(packets[i]!.bytes, options.port, '127.0.0.1', (error) =>
          error ? reject(error) : resolve(),
        ),
      );
      sent++;
      lastAtMs = performance.now();
    }
  } finally {
    await new Promise<void>((resolve) => socket.close(() => resolve()));
  }
  return { sent, firstAtMs: start, lastAtMs };
}

function sendingOrder(count: number, swapWithNext: ReadonlySet<number>): number[] {
  const order = Array.from({ length: count }, (_, i) => i);
  for (const i of swapWithNext) if (i + 1 < count) [order[i], order[i + 1]] = [order[i + 1]!, order[i]!];
  return order;
}

export function delay(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
