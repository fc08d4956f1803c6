// One room: its participants (each with its port, input and output), the hearing matrix, and the tick that
// turns this 20 ms of everyone's audio into one mix per listener. The tick allocates nothing: frames,
// accumulators and packets are the participants' own, reused every tick.
import type { RtpPacket, RtpSource } from '@callctl/rtp';
import { FRAME_SAMPLES, mixFrames } from '../domain/frame-mix.js';
import { HearingMatrix, type HearingRow } from '../domain/hearing-matrix.js';
import { LatencyWindow } from '../domain/latency-window.js';
import { isListener, isSource, outputCodecOf, type ParticipantSpec } from '../domain/participant-spec.js';
import { ParticipantNotFoundError } from '../domain/errors.js';
import { ParticipantInput, type InputCounters } from './participant-input.js';
import { ParticipantOutput, type OutputIdentity } from './participant-output.js';
import type { RtpPort } from './ports.js';

export interface Remote {
  address: string;
  port: number;
}

export interface ParticipantView extends InputCounters {
  spec: ParticipantSpec;
  rtpPort: number;
  packetsOut: number;
  latencyP50Us: number;
  latencyP99Us: number;
  remote: Remote | undefined;
  hears: readonly string[];
}

/** Where a participant's socket delivers what arrives. */
export interface PacketSink {
  receive(packet: RtpPacket, arrivedAtMs: number, source: RtpSource): void;
}

class Participant implements PacketSink {
  readonly input: ParticipantInput;
  readonly output: ParticipantOutput;
  readonly latency = new LatencyWindow();
  readonly mix = new Int16Array(FRAME_SAMPLES);
  remote: Remote | undefined;
  /** ConnectParticipant named the remote: latching stops. */
  connected = false;
  /** This tick: its frame carries audio, and some listener's mix took it. */
  audible = false;
  heard = false;

  constructor(
    readonly spec: ParticipantSpec,
    readonly rtp: RtpPort,
    identity: OutputIdentity,
  ) {
    this.input = new ParticipantInput(spec.codec, spec.payloadType);
    this.output = new ParticipantOutput(outputCodecOf(spec), spec.payloadType, identity);
  }

  receive(packet: RtpPacket, arrivedAtMs: number, source: RtpSource): void {
    // Symmetric RTP: until told where rtpengine wants the mix, send it where this participant's audio
    // comes from (the latest source, so a re-offer that moved rtpengine's port is followed).
    if (!this.connected && (this.remote?.port !== source.port || this.remote.address !== source.address))
      this.remote = { address: source.address, port: source.port };
    if (isSource(this.spec.direction)) this.input.push(packet, arrivedAtMs);
  }
}

export class Room {
  readonly matrix = new HearingMatrix();
  private readonly participants = new Map<string, Participant>();
  /** The same participants, for the tick's loops (no iterator allocation of a Map per tick). */
  private list: Participant[] = [];
  private readonly sourceFrames: Int16Array[] = [];
  private readonly accumulator = new Int32Array(FRAME_SAMPLES);

  constructor(
    readonly roomId: string,
    readonly callId: string,
  ) {}

  has(participantId: string): boolean {
    return this.participants.has(participantId);
  }

  spec(participantId: string): ParticipantSpec | undefined {
    return this.participants.get(participantId)?.spec;
  }

  rtpPortOf(participantId: string): number | undefined {
    return this.participants.get(participantId)?.rtp.port;
  }

  /** Adds a participant on its opened port; returns the handler its socket feeds. */
  add(spec: ParticipantSpec, rtp: RtpPort, identity: OutputIdentity): PacketSink {
    const participant = new Participant(spec, rtp, identity);
    this.participants.set(spec.id, participant);
    this.list = [...this.participants.values()];
    this.matrix.add(spec.id, spec.direction);
    return participant;
  }

  connect(participantId: string, remote: Remote): void {
    const participant = this.get(participantId);
    participant.remote = remote;
    participant.connected = true;
  }

  setHearing(rows: readonly HearingRow[]): void {
    this.matrix.set(rows);
  }

  /** Takes the participant out and returns its port (the caller closes it); undefined when absent. */
  remove(participantId: string): RtpPort | undefined {
    const participant = this.participants.get(participantId);
    if (!participant) return undefined;
    this.participants.delete(participantId);
    this.list = [...this.participants.values()];
    this.matrix.remove(participantId);
    return participant.rtp;
  }

  ports(): RtpPort[] {
    return this.list.map((p) => p.rtp);
  }

  /** One 20 ms frame: everyone's input, then each listener's mix sent. */
  tick(nowMs: number): void {
    const list = this.list;
    for (const p of list) {
      p.audible = isSource(p.spec.direction) && p.input.take(nowMs);
      p.heard = false;
    }
    for (const listener of list) {
      if (!isListener(listener.spec.direction)) continue;
      const sources = this.matrix.sourcesOf(listener.spec.id);
      const remote = listener.remote;
      const send = remote !== undefined && (listener.spec.direction === 'sendrecv' || sources.length > 0);
      if (send) {
        this.sourceFrames.length = 0;
        for (const id of sources) {
          const source = this.participants.get(id);
          if (!source?.audible) continue;
          source.heard = true;
          this.sourceFrames.push(source.input.frame);
        }
        mixFrames(this.sourceFrames, this.accumulator, listener.mix);
        listener.output.send(listener.mix, listener.rtp, remote);
      }
      listener.output.advance(send);
    }
    for (const p of list) if (p.heard) p.latency.record(Math.max(0, nowMs - p.input.frameArrivedAtMs) * 1000);
  }

  view(): ParticipantView[] {
    return this.list.map((p) => ({
      spec: p.spec,
      rtpPort: p.rtp.port,
      ...p.input.counters(),
      packetsOut: p.output.packetsOut,
      latencyP50Us: Math.round(p.latency.quantile(0.5)),
      latencyP99Us: Math.round(p.latency.quantile(0.99)),
      remote: p.remote,
      hears: this.matrix.sourcesOf(p.spec.id),
    }));
  }

  private get(participantId: string): Participant {
    const participant = this.participants.get(participantId);
    if (!participant)
      throw new ParticipantNotFoundError(`participant ${participantId} is not in room ${this.roomId}`, {
        roomId: this.roomId,
        participantId,
      });
    return participant;
  }
}
