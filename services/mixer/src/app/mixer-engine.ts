// The rooms of this process and the one clock that ticks them all: a single drift-free 20 ms MediaClock
// (frame n due at start + n × 20 ms, worked out from the start, not setInterval's accumulated error) runs
// every room's tick, so a thousand participants cost one timer. Commands (from gRPC) change rooms between
// ticks; the event loop serialises them with the tick, so a tick never sees a half-applied change.
import { randomInt } from 'node:crypto';
import type { Logger } from '@callctl/logging';
import { MediaClock, sdpAudioTarget } from '@callctl/rtp';
import { ConflictingRepeatError, MixerValidationError, RoomNotFoundError } from '../domain/errors.js';
import type { HearingRow } from '../domain/hearing-matrix.js';
import { participantSdp } from '../domain/participant-sdp.js';
import { checkId, type ParticipantSpec } from '../domain/participant-spec.js';
import type { OpenRtpPort } from './ports.js';
import { Room, type PacketSink, type ParticipantView, type Remote } from './room.js';

export interface MixerEngineOptions {
  /** The address advertised in participants' SDP (where rtpengine sends). */
  rtpHost: string;
  openPort: OpenRtpPort;
  log: Logger;
  /** Monotonic milliseconds; the same clock the sockets stamp arrivals with. @default performance.now */
  now?: () => number;
}

export interface AddedParticipant {
  rtpHost: string;
  rtpPort: number;
  payloadType: number;
  sdp: string;
}

export interface RoomView {
  roomId: string;
  callId: string;
  participants: ParticipantView[];
}

export class MixerEngine {
  private readonly rooms = new Map<string, Room>();
  /** The same rooms for the tick (rebuilt on change, not per tick). */
  private roomList: Room[] = [];
  /** Adds under way, so a retried AddParticipant that overtakes the first gets the same port. */
  private readonly adding = new Map<string, Promise<AddedParticipant>>();
  private readonly sdps = new Map<string, string>();
  private readonly clock: MediaClock;
  private readonly now: () => number;
  /** Ticks that ran more than a frame late (the event loop stalled): a sign the process is overloaded. */
  lateTicks = 0;
  /**
   * Ticks due and not run yet. The clock's timer only counts them; they run in the check phase right after
   * (setImmediate), once the event loop has read every datagram already waiting: after a stall the rings
   * then hold what arrived meanwhile, instead of the ticks finding them empty (a pause) and the packets
   * landing after.
   */
  private dueTicks = 0;
  private immediate: NodeJS.Immediate | undefined;
  private readonly runTicks = (): void => {
    this.immediate = undefined;
    const due = this.dueTicks;
    this.dueTicks = 0;
    const now = this.now();
    for (let i = 0; i < due; i++)
      for (const room of this.roomList) {
        try {
          room.tick(now);
        } catch (error) {
          // A bug in one room must not stop the clock of every other room: that room is logged (once per
          // second at most) and the others go on.
          this.tickFailed(room, error);
        }
      }
  };
  private lastTickFailureLogMs = -Infinity;

  constructor(private readonly options: MixerEngineOptions) {
    this.now = options.now ?? (() => performance.now());
    this.clock = new MediaClock((tick) => {
      if (tick.lateByMs > 20) this.lateTicks++;
      this.dueTicks++;
      this.immediate ??= setImmediate(this.runTicks);
    });
    this.clock.start();
  }

  createRoom(roomId: string, callId: string): void {
    checkId('room_id', roomId);
    const existing = this.rooms.get(roomId);
    if (existing) {
      if (existing.callId !== callId)
        throw new ConflictingRepeatError(`room ${roomId} exists for call ${existing.callId}`, { roomId });
      return;
    }
    this.rooms.set(roomId, new Room(roomId, callId));
    this.roomList = [...this.rooms.values()];
    this.options.log.info({ roomId, callId }, 'room created');
  }

  async addParticipant(roomId: string, spec: ParticipantSpec): Promise<AddedParticipant> {
    const room = this.room(roomId);
    const key = `${roomId}\u0000${spec.id}`;
    const pending = this.adding.get(key);
    const existing = room.spec(spec.id);
    if (existing || pending) {
      const first = existing ?? (await pending!.then(() => room.spec(spec.id)));
      if (!first || first.codec !== spec.codec || first.direction !== spec.direction)
        throw new ConflictingRepeatError(
          `participant ${spec.id} exists with ${first?.codec ?? '?'} ${first?.direction ?? '?'}`,
          { roomId, participantId: spec.id },
        );
      return this.added(room, spec);
    }
    const adding = this.open(room, spec).finally(() => this.adding.delete(key));
    this.adding.set(key, adding);
    return adding;
  }

  connectParticipant(roomId: string, participantId: string, remoteSdp: string): Remote {
    const room = this.room(roomId);
    const target = sdpAudioTarget(remoteSdp);
    if (!target)
      throw new MixerValidationError('remote_sdp has no audio address (c= and a live m=audio)', {
        roomId,
        participantId,
      });
    room.connect(participantId, target);
    this.options.log.info({ roomId, participantId, remote: target }, 'participant connected');
    return target;
  }

  setHearing(roomId: string, rows: readonly HearingRow[]): void {
    this.room(roomId).setHearing(rows);
    this.options.log.debug({ roomId, rows }, 'hearing set');
  }

  async removeParticipant(roomId: string, participantId: string): Promise<void> {
    const room = this.room(roomId);
    checkId('participant_id', participantId);
    const port = room.remove(participantId);
    this.sdps.delete(`${roomId}\u0000${participantId}`);
    if (port) {
      await port.close();
      this.options.log.info({ roomId, participantId }, 'participant removed');
    }
  }

  async deleteRoom(roomId: string): Promise<void> {
    checkId('room_id', roomId);
    const room = this.rooms.get(roomId);
    if (!room) return;
    this.rooms.delete(roomId);
    this.roomList = [...this.rooms.values()];
    for (const key of this.sdps.keys()) if (key.startsWith(`${roomId}\u0000`)) this.sdps.delete(key);
    await Promise.all(room.ports().map((port) => port.close()));
    this.options.log.info({ roomId }, 'room deleted');
  }

  getRoom(roomId: string): RoomView {
    const room = this.room(roomId);
    return { roomId, callId: room.callId, participants: room.view() };
  }

  get roomCount(): number {
    return this.rooms.size;
  }

  /** Stops the clock and closes every room (SIGTERM). */
  async close(): Promise<void> {
    this.clock.stop();
    if (this.immediate) clearImmediate(this.immediate);
    await Promise.all([...this.rooms.keys()].map((roomId) => this.deleteRoom(roomId)));
  }

  private async open(room: Room, spec: ParticipantSpec): Promise<AddedParticipant> {
    // The socket exists before the participant it feeds; what arrives before that is dropped.
    const target: { sink?: PacketSink } = {};
    const port = await this.options.openPort((packet, arrivedAtMs, source) =>
      target.sink?.receive(packet, arrivedAtMs, source),
    );
    if (this.rooms.get(room.roomId) !== room) {
      // The room was deleted while the port opened.
      await port.close();
      throw new RoomNotFoundError(`room ${room.roomId} not found`, { roomId: room.roomId });
    }
    target.sink = room.add(spec, port, {
      ssrc: randomInt(1, 0xffffffff),
      firstSequence: randomInt(0, 0x10000),
      firstTimestamp: randomInt(0, 0xffffffff),
    });
    const added = this.added(room, spec);
    this.options.log.info(
      {
        roomId: room.roomId,
        participantId: spec.id,
        codec: spec.codec,
        direction: spec.direction,
        port: port.port,
      },
      'participant added',
    );
    return added;
  }

  private added(room: Room, spec: ParticipantSpec): AddedParticipant {
    const rtpPort = room.rtpPortOf(spec.id)!;
    const key = `${room.roomId}\u0000${spec.id}`;
    let sdp = this.sdps.get(key);
    if (sdp === undefined) {
      sdp = participantSdp(spec, {
        host: this.options.rtpHost,
        port: rtpPort,
        sessionId: randomInt(1, 2 ** 31),
      });
      this.sdps.set(key, sdp);
    }
    return { rtpHost: this.options.rtpHost, rtpPort, payloadType: spec.payloadType, sdp };
  }

  private tickFailed(room: Room, error: unknown): void {
    const now = this.now();
    if (now - this.lastTickFailureLogMs < 1000) return;
    this.lastTickFailureLogMs = now;
    this.options.log.error({ err: error, roomId: room.roomId }, 'room tick failed');
  }

  private room(roomId: string): Room {
    checkId('room_id', roomId);
    const room = this.rooms.get(roomId);
    if (!room) throw new RoomNotFoundError(`room ${roomId} not found`, { roomId });
    return room;
  }
}
