// Stand-ins for the mixer and the media-worker's fork and route methods, speaking their real gRPC
// contracts (proto/callctl/mixer/v1, proto/callctl/media/v1) and keeping every request, in one list so
// that a test sees the order the orchestrator asked in. The real services are built beside the
// orchestrator; the end-to-end tests (e2e/test/monitoring.e2e.test.ts) run them together with rtpengine.
import type { ServiceError } from '@grpc/grpc-js';
import type { Logger } from '@callctl/logging';
import { media, mixer } from '@callctl/proto';
import { startGrpcServer, type RunningGrpcServer } from '@callctl/service';

type Callback = (error: ServiceError | null, response?: object) => void;

export class MonitorMediaStandIns {
  private constructor(
    /** `<Method> <what the request names>`, in the order they came to either stand-in. */
    readonly requests: string[],
    private readonly mixerServer: RunningGrpcServer,
    private readonly workerServer: RunningGrpcServer,
  ) {}

  static async start(log: Logger): Promise<MonitorMediaStandIns> {
    const requests: string[] = [];
    const answer =
      (describe: (request: never) => string, respond: (request: never) => object = () => ({})) =>
      (call: { request: object }, callback: Callback) => {
        requests.push(describe(call.request as never));
        callback(null, respond(call.request as never));
      };
    const ports = new Map<string, number>();
    const mixerImplementation = {
      createRoom: answer((r: mixer.CreateRoomRequest) => `CreateRoom ${r.roomId}`),
      addParticipant: answer(
        (r: mixer.AddParticipantRequest) => `AddParticipant ${r.participantId}`,
        (r: mixer.AddParticipantRequest) => {
          const port = ports.get(r.participantId) ?? 46_000 + 2 * ports.size;
          ports.set(r.participantId, port);
          return { rtpHost: '127.0.0.1', rtpPort: port, payloadType: 0, sdp: `sdp-${r.participantId}` };
        },
      ),
      connectParticipant: answer(
        (r: mixer.ConnectParticipantRequest) => `ConnectParticipant ${r.participantId} ${r.remoteSdp}`,
      ),
      setHearing: answer(
        (r: mixer.SetHearingRequest) =>
          `SetHearing ${r.hearing.map((h) => `${h.listenerId}<${h.sourceIds.join('+')}`).join(' ')}`,
      ),
      removeParticipant: answer(
        (r: mixer.RemoveParticipantRequest) => `RemoveParticipant ${r.participantId}`,
      ),
      deleteRoom: answer((r: mixer.DeleteRoomRequest) => `DeleteRoom ${r.roomId}`),
      getRoom: answer(
        (r: mixer.GetRoomRequest) => `GetRoom ${r.roomId}`,
        () => ({ participants: [] }),
      ),
    };
    const workerImplementation = {
      startFork: answer(
        (r: media.StartForkRequest) => `StartFork ${r.forkId} ${r.sinkAddress}:${r.sinkPorts.join(',')}`,
        (r: media.StartForkRequest) => ({
          parties: r.fromTags.map((fromTag, i) =>
            media.ForkedParty.fromPartial({ fromTag, sinkPort: r.sinkPorts[i], codec: 'PCMU' }),
          ),
        }),
      ),
      stopFork: answer((r: media.StopForkRequest) => `StopFork ${r.forkId}`),
      routeToMixer: answer(
        (r: media.RouteToMixerRequest) => `RouteToMixer ${r.routeId} ${r.mixerSdp}`,
        (r: media.RouteToMixerRequest) => ({ sdp: `rtpe-${r.routeId}` }),
      ),
      restoreRoute: answer((r: media.RestoreRouteRequest) => `RestoreRoute ${r.tag}`),
      // SIPREC's fork (test/siprec.int.test.ts); BlockMedia only to prove SIPREC never asks for it.
      offerRecordingFork: answer(
        (r: media.OfferRecordingForkRequest) =>
          `OfferRecordingFork ${r.forkId} ${r.sessionId} ${r.fromTags.join(',')} labels ${r.labels.join(',')}`,
        (r: media.OfferRecordingForkRequest) => ({ sdp: `offer-of-${r.fromTags.join('+')}` }),
      ),
      answerRecordingFork: answer(
        (r: media.AnswerRecordingForkRequest) => `AnswerRecordingFork ${r.forkId} ${r.sdp}`,
      ),
      blockMedia: answer((r: media.BlockMediaRequest) => `BlockMedia ${r.tag}`),
    };
    const serve = (name: string, definition: object, implementation: object) =>
      startGrpcServer({
        log,
        host: '127.0.0.1',
        port: 0,
        services: [{ name, definition, implementation } as never],
      });
    return new MonitorMediaStandIns(
      requests,
      await serve('callctl.mixer.v1.Mixer', mixer.MixerService, mixerImplementation),
      await serve('callctl.media.v1.MediaWorker', media.MediaWorkerService, workerImplementation),
    );
  }

  get mixerAddress(): string {
    return `127.0.0.1:${this.mixerServer.port}`;
  }

  get mediaWorkerAddress(): string {
    return `127.0.0.1:${this.workerServer.port}`;
  }

  async stop(): Promise<void> {
    await this.mixerServer.close();
    await this.workerServer.close();
  }
}
