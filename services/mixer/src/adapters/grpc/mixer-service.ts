// The gRPC edge of the mixer: proto messages ↔ engine calls. Errors are the domain's typed ones; the one
// unary wrapper (libs/service) maps them to statuses through the shared table.
import type { UntypedServiceImplementation } from '@grpc/grpc-js';
import { mixer } from '@callctl/proto';
import type { Logger } from '@callctl/logging';
import { unaryHandler, type ServiceBinding } from '@callctl/service';
import type { MixerEngine } from '../../app/mixer-engine.js';
import type { ParticipantView } from '../../app/room.js';
import { MixerValidationError } from '../../domain/errors.js';
import { participantSpec, type Direction } from '../../domain/participant-spec.js';

export const MIXER_SERVICE = 'callctl.mixer.v1.Mixer';

const FROM_PROTO: Record<number, Direction> = {
  [mixer.Direction.DIRECTION_UNSPECIFIED]: 'sendrecv',
  [mixer.Direction.DIRECTION_SENDRECV]: 'sendrecv',
  [mixer.Direction.DIRECTION_RECVONLY]: 'recvonly',
  [mixer.Direction.DIRECTION_SENDONLY]: 'sendonly',
};

const TO_PROTO: Record<Direction, mixer.Direction> = {
  sendrecv: mixer.Direction.DIRECTION_SENDRECV,
  recvonly: mixer.Direction.DIRECTION_RECVONLY,
  sendonly: mixer.Direction.DIRECTION_SENDONLY,
};

function directionOf(value: number): Direction {
  const direction = FROM_PROTO[value];
  if (!direction) throw new MixerValidationError(`unknown direction ${value}`, { direction: value });
  return direction;
}

function participantStats(view: ParticipantView): mixer.ParticipantStats {
  return {
    participantId: view.spec.id,
    packetsIn: view.packetsIn,
    packetsOut: view.packetsOut,
    lost: view.lost,
    late: view.late,
    concealedFrames: view.concealedFrames,
    addedLatencyP50Us: view.latencyP50Us,
    addedLatencyP99Us: view.latencyP99Us,
    remote: view.remote ? `${view.remote.address}:${view.remote.port}` : '',
    direction: TO_PROTO[view.spec.direction],
    codec: view.spec.codec,
    rtpPort: view.rtpPort,
    hears: [...view.hears],
    playoutTargetFrames: view.targetFrames,
    underruns: view.underruns,
  };
}

export function mixerService(options: { engine: MixerEngine; log: Logger }): ServiceBinding {
  const { engine } = options;
  const unary = unaryHandler(options.log);
  const implementation: mixer.MixerServer = {
    createRoom: unary(async (request: mixer.CreateRoomRequest): Promise<mixer.CreateRoomResponse> => {
      engine.createRoom(request.roomId, request.callId);
      return {};
    }),
    addParticipant: unary(
      async (request: mixer.AddParticipantRequest): Promise<mixer.AddParticipantResponse> => {
        const spec = participantSpec(request.participantId, request.codec, directionOf(request.direction));
        const added = await engine.addParticipant(request.roomId, spec);
        return {
          rtpHost: added.rtpHost,
          rtpPort: added.rtpPort,
          payloadType: added.payloadType,
          sdp: added.sdp,
        };
      },
    ),
    connectParticipant: unary(
      async (request: mixer.ConnectParticipantRequest): Promise<mixer.ConnectParticipantResponse> => {
        const remote = engine.connectParticipant(request.roomId, request.participantId, request.remoteSdp);
        return { remote: `${remote.address}:${remote.port}` };
      },
    ),
    setHearing: unary(async (request: mixer.SetHearingRequest): Promise<mixer.SetHearingResponse> => {
      engine.setHearing(
        request.roomId,
        request.hearing.map((row) => ({ listenerId: row.listenerId, sourceIds: row.sourceIds })),
      );
      return {};
    }),
    removeParticipant: unary(
      async (request: mixer.RemoveParticipantRequest): Promise<mixer.RemoveParticipantResponse> => {
        await engine.removeParticipant(request.roomId, request.participantId);
        return {};
      },
    ),
    deleteRoom: unary(async (request: mixer.DeleteRoomRequest): Promise<mixer.DeleteRoomResponse> => {
      await engine.deleteRoom(request.roomId);
      return {};
    }),
    getRoom: unary(async (request: mixer.GetRoomRequest): Promise<mixer.GetRoomResponse> => {
      const room = engine.getRoom(request.roomId);
      return { callId: room.callId, participants: room.participants.map(participantStats) };
    }),
  };
  return {
    name: MIXER_SERVICE,
    definition: mixer.MixerService,
    implementation: implementation as unknown as UntypedServiceImplementation,
  };
}
