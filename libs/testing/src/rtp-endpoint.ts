// A loopback RTP party for media tests (PCMU + RFC 4733, Goertzel tone measurement); shared by the
// media-worker and sip-edge end-to-end tests.
import { createSocket, type RemoteInfo, type Socket } from 'node:dgram';
import { DTMF_EVENT_KEYS, parseRtpPacket, parseTelephoneEvent } from './rtp-packet.js';
import { RtpSender } from './rtp-sender.js';
import { loopbackAudioSdp, telephoneEventFormat } from './loopback-sdp.js';

const SAMPLE_RATE = 8000;
const SAMPLES_PER_PACKET = 160; // 20 ms of PCMU
const PACKET_MS = 20;
const EVENT_PT = 101;

/** G.711 μ-law encode of one 16-bit linear sample. */
export function encodeMulaw(sample: number): number {
  const BIAS = 0x84;
  let s = Math.max(-32635, Math.min(32635, Math.round(sample)));
  const sign = s < 0 ? 0x80 : 0;
  if (s < 0) s = -s;
  s += BIAS;
  let exponent = 7;
  for (let mask = 0x4000; (s & mask) === 0 && exponent > 0; mask >>= 1) exponent--;
  const mantissa = (s >> (exponent + 3)) & 0x0f;
  return ~(sign | (exponent << 4) | mantissa) & 0xff;
}

export function decodeMulaw(byte: number): number {
  const u = ~byte & 0xff;
  const t = (((u & 0x0f) << 3) + 0x84) << ((u & 0x70) >> 4);
  return u & 0x80 ? 0x84 - t : t - 0x84;
}

/** Relative power of `frequency` in `samples` (Goertzel), normalised by the signal's total power. */
export function toneRatio(samples: readonly number[], frequency: number): number {
  if (samples.length === 0) return 0;
  const coeff = 2 * Math.cos((2 * Math.PI * frequency) / SAMPLE_RATE);
  let s1 = 0;
  let s2 = 0;
  let energy = 0;
  for (const x of samples) {
    const s0 = x + coeff * s1 - s2;
    s2 = s1;
    s1 = s0;
    energy += x * x;
  }
  const power = s1 * s1 + s2 * s2 - coeff * s1 * s2;
  return energy === 0 ? 0 : (2 * power) / (samples.length * energy);
}

/** One PCMU packet as an RtpEndpoint received it. */
export interface RtpArrival {
  /** Date.now() at arrival. */
  at: number;
  rms: number;
  ssrc: number;
  timestamp: number;
  samples: number;
}

/** A loopback SIP-less media party: PCMU + telephone-event over one UDP socket. */
export class RtpEndpoint {
  private readonly sender: RtpSender;
  private toneTimer: NodeJS.Timeout | undefined;
  /** Samples sent so far: the time base of the tone generator. */
  private phase = 0;
  private frequencies: number[] = [];
  private peak = 8000;
  private changePending = false;
  /** When the first packet of the latest startTone/changeTone went out (Date.now()); undefined until then. */
  toneChangeSentAt: number | undefined;
  /** Decoded PCMU samples received, in arrival order. */
  readonly received: number[] = [];
  readonly receivedSsrcs = new Set<number>();
  packetsReceived = 0;
  /**
   * When each PCMU packet arrived (Date.now()) and its RMS level (0-32767): when audio came, and how loud;
   * with its SSRC and RTP timestamp (arrival jitter, a change of path) and its sample count (where its
   * samples start in `received`).
   */
  readonly arrivals: RtpArrival[] = [];
  /** RFC 4733 packets received: event number (0-9, 10 = *, 11 = #, 12-15 = A-D), end bit, arrival time. */
  readonly receivedEvents: { event: number; end: boolean; timestamp: number; at: number }[] = [];

  private constructor(
    private readonly socket: Socket,
    private readonly telephoneEvent: boolean,
  ) {
    this.sender = new RtpSender(socket);
    socket.on('message', (message: Buffer, _from: RemoteInfo) => this.onPacket(message));
  }

  /** telephoneEvent false: the SDP offers PCMU alone, as a party that knows no RFC 4733 would. */
  static async open({ telephoneEvent = true }: { telephoneEvent?: boolean } = {}): Promise<RtpEndpoint> {
    const socket = createSocket('udp4');
    await new Promise<void>((resolve) => socket.bind(0, '127.0.0.1', () => resolve()));
    return new RtpEndpoint(socket, telephoneEvent);
  }

  get port(): number {
    return this.socket.address().port;
  }

  sdp(): string {
    return loopbackAudioSdp(this.sender.ssrc, this.port, [
      { payloadType: 0, rtpmap: 'PCMU/8000' },
      ...(this.telephoneEvent ? [telephoneEventFormat(EVENT_PT, SAMPLE_RATE)] : []),
    ]);
  }

  /** Takes rtpengine's SDP for this party: where to send. */
  useRemote(sdp: string): void {
    this.sender.useRemote(sdp);
  }

  /**
   * Sends a continuous tone (0 Hz: silence) every 20 ms until stopTone(). Several frequencies are mixed:
   * a DTMF digit in-band is its row and column tone (e.g. 770 + 1336 Hz for 5), each frequency with an
   * equal share of `peak` (the mix's peak amplitude, of 32767).
   */
  startTone(frequency: number | readonly number[], peak = 8000): void {
    this.stopTone();
    this.setFrequencies(frequency, peak);
    const sendPacket = () => {
      const frequencies = this.frequencies;
      const payload = Buffer.alloc(SAMPLES_PER_PACKET);
      for (let i = 0; i < SAMPLES_PER_PACKET; i++) {
        const t = this.phase / SAMPLE_RATE;
        const sample = frequencies.reduce(
          (sum, f) => sum + (this.peak / frequencies.length) * Math.sin(2 * Math.PI * f * t),
          0,
        );
        this.phase += 1;
        payload[i] = encodeMulaw(sample);
      }
      this.sender.sendMedia(0, payload, SAMPLES_PER_PACKET);
      if (this.changePending) {
        this.changePending = false;
        this.toneChangeSentAt = Date.now();
      }
    };
    // Paced on the clock, as a phone's sound card is: a late timer (setInterval drifts a few ms a tick, and
    // a busy test process stalls it) sends the packets that were due at once instead of leaving them out, so
    // that what the far end receives has a packet per 20 ms of time and gaps only where the path made them.
    const start = performance.now();
    let sent = 0;
    const tick = () => {
      const due = Math.floor((performance.now() - start) / PACKET_MS) + 1;
      for (; sent < due; sent++) sendPacket();
      this.toneTimer = setTimeout(tick, Math.max(0, start + sent * PACKET_MS - performance.now()));
    };
    tick();
  }

  stopTone(): void {
    if (this.toneTimer) clearTimeout(this.toneTimer);
    this.toneTimer = undefined;
  }

  /**
   * Changes the running tone from its next packet on, keeping the packets' clock (a phone's sound card
   * does not restart at a sound onset; startTone does, so a receiver's playout sees its phase jump);
   * toneChangeSentAt is when that packet went out (Date.now()). Without a running tone: startTone.
   */
  changeTone(frequency: number | readonly number[], peak = 8000): void {
    if (!this.toneTimer) return this.startTone(frequency, peak);
    this.setFrequencies(frequency, peak);
  }

  private setFrequencies(frequency: number | readonly number[], peak: number): void {
    this.frequencies = (typeof frequency === 'number' ? [frequency] : frequency).filter((f) => f > 0);
    this.peak = peak;
    this.changePending = true;
    this.toneChangeSentAt = undefined;
  }

  /**
   * Sends one RFC 4733 event: a marker start packet, updates every 20 ms with a growing duration, then three
   * end packets (the redundancy the RFC recommends), all with the event's start timestamp.
   */
  async sendDigit(digit: string, durationMs = 160): Promise<void> {
    await this.sender.sendDigit(EVENT_PT, digit, durationMs, SAMPLES_PER_PACKET);
  }

  /** Forgets what arrived so far. */
  clearReceived(): void {
    this.received.length = 0;
    this.receivedSsrcs.clear();
    this.packetsReceived = 0;
    this.arrivals.length = 0;
    this.receivedEvents.length = 0;
  }

  /** Relative power of `frequency` in the last `windowMs` of received audio. */
  recentToneRatio(frequency: number, windowMs = 400): number {
    const n = (SAMPLE_RATE * windowMs) / 1000;
    return toneRatio(this.received.slice(-n), frequency);
  }

  async close(): Promise<void> {
    this.stopTone();
    await new Promise<void>((resolve) => this.socket.close(() => resolve()));
  }

  /** The digits of the RFC 4733 events received, one per event (its end packets counted once). */
  receivedDigits(): string {
    const seen = new Set<number>();
    let digits = '';
    for (const e of this.receivedEvents)
      if (e.end && !seen.has(e.timestamp)) {
        seen.add(e.timestamp);
        digits += DTMF_EVENT_KEYS[e.event] ?? '?';
      }
    return digits;
  }

  private onPacket(message: Buffer): void {
    const packet = parseRtpPacket(message);
    if (!packet) return;
    const at = Date.now();
    if (packet.payloadType === EVENT_PT) {
      const event = parseTelephoneEvent(packet.payload);
      if (event)
        this.receivedEvents.push({ event: event.event, end: event.end, timestamp: packet.timestamp, at });
      return;
    }
    if (packet.payloadType !== 0) return;
    this.packetsReceived++;
    this.receivedSsrcs.add(packet.ssrc);
    let energy = 0;
    for (const byte of packet.payload) {
      const sample = decodeMulaw(byte);
      this.received.push(sample);
      energy += sample * sample;
    }
    const count = packet.payload.length;
    this.arrivals.push({
      at,
      rms: count > 0 ? Math.sqrt(energy / count) : 0,
      ssrc: packet.ssrc,
      timestamp: packet.timestamp,
      samples: count,
    });
  }
}
