// The engine on in-memory ports (the app's own RtpPort interface; the real sockets are in the int tests):
// idempotent adds, a room deleted while a port opens, and a failing room that does not stop the others.
import { createLogger } from '@callctl/logging';
import { buildRtpPacket, encodeMulaw, parseRtpPacket, type RtpPacket, type RtpSource } from '@callctl/rtp';
import { waitFor } from '@callctl/testing';
import { participantSpec } from '../domain/participant-spec';
import { MixerEngine } from './mixer-engine';
import type { OpenRtpPort, RtpPort } from './ports';

interface MemoryPort extends RtpPort {
  deliver(packet: RtpPacket, source: RtpSource): void;
  sent: Buffer[];
  closed: boolean;
}

function memoryPorts() {
  const ports: MemoryPort[] = [];
  let gate: Promise<void> = Promise.resolve();
  const open: OpenRtpPort = async (onPacket) => {
    await gate;
    const port: MemoryPort = {
      port: 50000 + ports.length,
      sent: [],
      closed: false,
      deliver: (packet, source) => onPacket(packet, performance.now(), source),
      send: (packet, _port, _address, onSent) => {
        port.sent.push(Buffer.from(packet));
        onSent();
      },
      close: async () => {
        port.closed = true;
      },
    };
    ports.push(port);
    return port;
  };
  return { open, ports, hold: (until: Promise<void>) => (gate = until) };
}

const log = createLogger({ service: 'mixer-test', level: 'silent' });
const spec = (id: string) => participantSpec(id, 'PCMU', 'sendrecv');

describe('mixer engine', () => {
  let engine: MixerEngine;
  afterEach(() => engine.close());

  it('answers a repeated AddParticipant, even one overtaking the first, with the same port and SDP', async () => {
    const { open, ports } = memoryPorts();
    engine = new MixerEngine({ rtpHost: '10.0.0.5', openPort: open, log });
    engine.createRoom('r1', 'call-1');
    const [first, second] = await Promise.all([
      engine.addParticipant('r1', spec('a')),
      engine.addParticipant('r1', spec('a')),
    ]);
    expect(second).toEqual(first);
    expect(ports).toHaveLength(1);
    expect(first.sdp).toContain('c=IN IP4 10.0.0.5');
    await expect(engine.addParticipant('r1', participantSpec('a', 'PCMA', 'sendrecv'))).rejects.toMatchObject(
      {
        kind: 'already_exists',
      },
    );
  });

  it('closes the port of a participant whose room was deleted while the port opened', async () => {
    const { open, ports, hold } = memoryPorts();
    engine = new MixerEngine({ rtpHost: '127.0.0.1', openPort: open, log });
    engine.createRoom('r1', 'call-1');
    let release!: () => void;
    hold(new Promise<void>((resolve) => (release = resolve)));
    const adding = engine.addParticipant('r1', spec('a'));
    await engine.deleteRoom('r1');
    release();
    await expect(adding).rejects.toMatchObject({ kind: 'not_found' });
    expect(ports[0]?.closed).toBe(true);
  });

  it('keeps mixing the other rooms when one room fails its tick', async () => {
    const { open, ports } = memoryPorts();
    engine = new MixerEngine({ rtpHost: '127.0.0.1', openPort: open, log });
    engine.createRoom('broken', 'call-1');
    engine.createRoom('fine', 'call-2');
    await engine.addParticipant('broken', spec('x'));
    await engine.addParticipant('fine', spec('a'));
    await engine.addParticipant('fine', spec('b'));
    engine.setHearing('fine', [{ listenerId: 'b', sourceIds: ['a'] }]);
    const [broken, a, b] = ports as [MemoryPort, MemoryPort, MemoryPort];
    broken.send = () => {
      throw new Error('a bug in this room');
    };
    const tone = encodeMulaw(new Int16Array(160).fill(4000));
    let sequence = 0;
    const speak = () => {
      const packet = parseRtpPacket(
        buildRtpPacket({ payloadType: 0, marker: false, sequence, timestamp: sequence * 160, ssrc: 7 }, tone),
      );
      sequence++;
      a.deliver(packet, { address: '127.0.0.1', port: 4000 });
      b.deliver(
        { ...packet, ssrc: 8, payload: encodeMulaw(new Int16Array(160)) },
        { address: '127.0.0.1', port: 4002 },
      );
      broken.deliver({ ...packet, ssrc: 9 }, { address: '127.0.0.1', port: 4004 });
    };
    const timer = setInterval(speak, 20);
    try {
      await waitFor('b hearing a', () => b.sent.some((p) => parseRtpPacket(p).payload[0] === tone[0]), 3000);
    } finally {
      clearInterval(timer);
    }
    expect(engine.getRoom('fine').participants.find((p) => p.spec.id === 'b')?.hears).toEqual(['a']);
  });
});
