// What the app needs from the outside: a UDP port per participant. The adapter (adapters/rtp) opens real
// sockets in the configured range; the app never imports node:dgram.
import type { RtpPacket, RtpSource } from '@callctl/rtp';

export interface RtpPort {
  readonly port: number;
  /** `onSent` is called once the socket no longer reads `packet` (Node sends after this call returns). */
  send(packet: Buffer, port: number, address: string, onSent: () => void): void;
  close(): Promise<void>;
}

export type OpenRtpPort = (
  onPacket: (packet: RtpPacket, arrivedAtMs: number, source: RtpSource) => void,
) => Promise<RtpPort>;
