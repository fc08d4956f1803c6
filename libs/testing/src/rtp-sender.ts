// The sending half of a loopback RTP party: one SSRC, its sequence numbers and timestamps, and where to
// send, shared by RtpEndpoint (PCMU) and CodecEndpoint (any codec).
import { randomInt } from 'node:crypto';
import type { Socket } from 'node:dgram';
import { buildRtpPacket, dtmfEventCode, telephoneEventPayload } from './rtp-packet.js';

const PACKET_MS = 20;

export class RtpSender {
  readonly ssrc = randomInt(1, 0x7fffffff);
  private sequence = randomInt(0, 0xffff);
  /** RTP timestamp of the next media packet. */
  private timestamp = randomInt(0, 0x7fffffff);
  private remote: { address: string; port: number } | undefined;

  constructor(private readonly socket: Socket) {}

  /** Where to send: the c= and m=audio of the far end's SDP. */
  useRemote(sdp: string): void {
    const address = /c=IN IP4 (\S+)/.exec(sdp)?.[1];
    const port = /m=audio (\d+)/.exec(sdp)?.[1];
    if (!address || !port) throw new Error(`no media address in SDP:\n${sdp}`);
    this.remote = { address, port: Number(port) };
  }

  /** Sends one media packet and moves the timestamp on by the `units` it lasts. */
  sendMedia(payloadType: number, payload: Buffer, units: number): void {
    this.send(payloadType, payload, false, this.timestamp);
    this.timestamp = (this.timestamp + units) >>> 0;
  }

  /**
   * Sends one key press as RFC 4733 packets, all with the event's start timestamp: a marker start packet,
   * updates every 20 ms with a growing duration (in `unitsPerPacket` steps: the codec's clock), then three
   * end packets (the redundancy the RFC recommends). Media then goes on after the event.
   */
  async sendDigit(
    eventPayloadType: number,
    key: string,
    durationMs: number,
    unitsPerPacket: number,
  ): Promise<void> {
    const event = dtmfEventCode(key);
    const start = this.timestamp;
    const steps = Math.max(1, Math.round(durationMs / PACKET_MS));
    for (let step = 1; step <= steps; step++) {
      const payload = telephoneEventPayload({ event, end: false, duration: step * unitsPerPacket });
      this.send(eventPayloadType, payload, step === 1, start);
      await delay(PACKET_MS);
    }
    const end = telephoneEventPayload({ event, end: true, duration: steps * unitsPerPacket });
    for (let i = 0; i < 3; i++) this.send(eventPayloadType, end, false, start);
    this.timestamp = (start + steps * unitsPerPacket) >>> 0;
    await delay(PACKET_MS);
  }

  private send(payloadType: number, payload: Buffer, marker: boolean, timestamp: number): void {
    if (!this.remote) throw new Error('no remote media address yet');
    const packet = buildRtpPacket(
      { payloadType, marker, sequence: this.sequence, timestamp, ssrc: this.ssrc },
      payload,
    );
    this.sequence = (this.sequence + 1) & 0xffff;
    this.socket.send(packet, this.remote.port, this.remote.address);
  }
}

function delay(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
