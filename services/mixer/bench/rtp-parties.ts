// The participants of the mixer benchmark, in a process of their own (its event loop is not the bench's,
// whose gRPC setup would delay the sends): one UDP socket sending a 20 ms PCMU packet for every participant
// every 20 ms on a drift-free clock, and counting the mixes that come back, told apart by the mixer port
// they come from. Driven over IPC by mixer.bench.ts: `add` parties, `reset` the counts, `report`, `clear`.
import { createSocket, type Socket } from 'node:dgram';
import { encodeMulaw, MediaClock } from '@callctl/rtp';

export interface PartySpec {
  mixerPort: number;
  ssrc: number;
  hz: number;
}

export type PartiesCommand =
  { type: 'add'; parties: PartySpec[] } | { type: 'reset' } | { type: 'report' } | { type: 'clear' };

export type PartiesReply =
  { type: 'ready'; port: number } | { type: 'report'; missing: number; lateTicks: number };

/** One participant as this process plays it: its packets (taken in turn) and what came back. */
interface Party {
  mixerPort: number;
  /** Packet buffers used in turn, each written again only after its send completed (Node sends later). */
  packets: { buffer: Buffer; inFlight: boolean; onSent: () => void }[];
  turn: number;
  sequence: number;
  timestamp: number;
  received: number;
  firstSequence: number;
  lastSequence: number;
}

/** 20 ms of a tone in PCMU: whole cycles in 20 ms for multiples of 50 Hz, so one frame loops cleanly. */
function tonePayload(hz: number): Uint8Array {
  return encodeMulaw(
    Int16Array.from({ length: 160 }, (_, i) => Math.round(8000 * Math.sin((2 * Math.PI * hz * i) / 8000))),
  );
}

function newParty({ mixerPort, ssrc, hz }: PartySpec): Party {
  const payload = tonePayload(hz);
  const packet = () => {
    const buffer = Buffer.alloc(12 + 160);
    buffer[0] = 0x80;
    buffer.writeUInt32BE(ssrc, 8);
    buffer.set(payload, 12);
    const slot = { buffer, inFlight: false, onSent: () => (slot.inFlight = false) };
    return slot;
  };
  return {
    mixerPort,
    packets: Array.from({ length: 4 }, packet),
    turn: 0,
    sequence: 0,
    timestamp: 0,
    received: 0,
    firstSequence: -1,
    lastSequence: -1,
  };
}

export class Parties {
  private readonly byPort = new Map<number, Party>();
  private list: Party[] = [];
  private readonly clock = new MediaClock((tick) => {
    this.lateTicks += tick.lateByMs > 20 ? 1 : 0;
    this.send();
  });
  /** Ticks of this sender more than a frame late: its own bursts, which the mixer must absorb. */
  lateTicks = 0;

  constructor(private readonly socket: Socket) {
    socket.on('message', (packet: Buffer, from: { port: number }) => {
      const party = this.byPort.get(from.port);
      if (!party || packet.length < 12) return;
      const sequence = packet.readUInt16BE(2);
      if (party.firstSequence < 0) party.firstSequence = sequence;
      party.lastSequence = sequence;
      party.received++;
    });
    this.clock.start();
  }

  add(party: Party): void {
    this.byPort.set(party.mixerPort, party);
    this.list = [...this.byPort.values()];
  }

  /** Starts counting the mixes received back afresh (the window). */
  resetReceived(): void {
    for (const party of this.list) {
      party.received = 0;
      party.firstSequence = -1;
    }
  }

  clear(): void {
    this.byPort.clear();
    this.list = [];
  }

  /** Mixes received back that are missing between the first and last sequence number of each (no wrap in a step). */
  missing(): number {
    let missing = 0;
    for (const party of this.list)
      if (party.firstSequence >= 0)
        missing += Math.max(0, ((party.lastSequence - party.firstSequence) & 0xffff) + 1 - party.received);
    return missing;
  }

  stop(): void {
    this.clock.stop();
  }

  private send(): void {
    for (const party of this.list) {
      const slot = party.packets[party.turn]!;
      // A slot still in flight (a catch-up burst): a fresh copy rather than rewriting a packet not sent yet.
      const buffer = slot.inFlight ? Buffer.from(slot.buffer) : slot.buffer;
      buffer.writeUInt16BE(party.sequence, 2);
      buffer.writeUInt32BE(party.timestamp >>> 0, 4);
      party.sequence = (party.sequence + 1) & 0xffff;
      party.timestamp += 160;
      if (buffer !== slot.buffer) {
        this.socket.send(buffer, party.mixerPort, '127.0.0.1');
        continue;
      }
      party.turn = (party.turn + 1) % party.packets.length;
      slot.inFlight = true;
      this.socket.send(buffer, party.mixerPort, '127.0.0.1', slot.onSent);
    }
  }
}

if (process.send) {
  const send = (reply: PartiesReply) => process.send!(reply);
  const socket = createSocket('udp4');
  socket.bind(0, '127.0.0.1', () => {
    // Every participant's mix comes back to this one socket: room for bursts (capped by net.core.rmem_max).
    socket.setRecvBufferSize(4 * 1024 * 1024);
    const parties = new Parties(socket);
    process.on('message', (command: PartiesCommand) => {
      switch (command.type) {
        case 'add':
          for (const spec of command.parties) parties.add(newParty(spec));
          break;
        case 'reset':
          parties.resetReceived();
          break;
        case 'report':
          send({ type: 'report', missing: parties.missing(), lateTicks: parties.lateTicks });
          break;
        case 'clear':
          parties.clear();
          break;
      }
    });
    process.on('disconnect', () => {
      parties.stop();
      socket.close();
    });
    send({ type: 'ready', port: socket.address().port });
  });
}
