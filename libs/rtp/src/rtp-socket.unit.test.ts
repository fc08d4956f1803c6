import { createSocket } from 'node:dgram';
import { waitFor } from '@callctl/testing';
import { buildRtpPacket, type RtpPacket } from './rtp-packet.js';
import { RtpSocket } from './rtp-socket.js';

describe('RtpSocket', () => {
  it('hands parsed packets with their arrival time to the consumer and counts datagrams that are not RTP', async () => {
    const received: { packet: RtpPacket; at: number }[] = [];
    let clock = 500;
    const socket = await RtpSocket.open((packet, at) => received.push({ packet, at }), {
      now: () => clock++,
    });
    const sender = createSocket('udp4');
    try {
      expect(socket.address.host).toBe('127.0.0.1');
      const { port } = socket.address;
      const send = (bytes: Uint8Array) =>
        new Promise<void>((resolve) => sender.send(bytes, port, '127.0.0.1', () => resolve()));
      await send(Buffer.from('not rtp at all'));
      await send(
        buildRtpPacket(
          { payloadType: 8, marker: true, sequence: 7, timestamp: 1, ssrc: 9 },
          Uint8Array.of(1, 2),
        ),
      );
      await waitFor('the packet', () => received.length === 1);
      expect(received[0]!.at).toBe(500);
      expect(received[0]!.packet).toMatchObject({ payloadType: 8, marker: true, sequence: 7, ssrc: 9 });
      expect(Array.from(received[0]!.packet.payload)).toEqual([1, 2]);
      expect(socket.malformed).toBe(1);
    } finally {
      sender.close();
      await socket.close();
    }
  });

  it('tells where each packet came from, and when a send no longer needs its buffer', async () => {
    const sources: { address: string; port: number }[] = [];
    const receiver = await RtpSocket.open((_packet, _at, source) => sources.push(source));
    const sender = await RtpSocket.open(() => undefined);
    try {
      const packet = buildRtpPacket(
        { payloadType: 0, marker: false, sequence: 1, timestamp: 0, ssrc: 1 },
        new Uint8Array(4),
      );
      await new Promise<void>((resolve) =>
        sender.send(packet, receiver.address.port, '127.0.0.1', () => resolve()),
      );
      await waitFor('the packet', () => sources.length === 1);
      expect(sources[0]).toMatchObject({ address: '127.0.0.1', port: sender.address.port });
    } finally {
      await sender.close();
      await receiver.close();
    }
  });
});
