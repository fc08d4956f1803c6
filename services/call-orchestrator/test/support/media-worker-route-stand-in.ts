// A stand-in for the media-worker's route and fork methods (proto/callctl/media/v1) where each routed party
// is an RTP endpoint of the test: RouteToMixer points the party's endpoint at the mixer participant's SDP and
// answers the endpoint's own SDP, as rtpengine's side of the route would. With the real mixer in between,
// the test hears what each party hears (tones decoded at its endpoint). Every request is kept.
import type { ServiceError } from '@grpc/grpc-js';
import type { Logger } from '@callctl/logging';
import { media } from '@callctl/proto';
import { startGrpcServer, type RunningGrpcServer } from '@callctl/service';
import { RtpEndpoint } from '@callctl/testing';

type Callback = (error: ServiceError | null, response?: object) => void;

export class MediaWorkerRouteStandIn {
  readonly requests: string[] = [];
  /** Party tag -> its endpoint (opened by `party` before the route is asked for). */
  readonly parties = new Map<string, RtpEndpoint>();
  private server!: RunningGrpcServer;

  static async start(log: Logger): Promise<MediaWorkerRouteStandIn> {
    const w = new MediaWorkerRouteStandIn();
    const answer =
      <Req>(describe: (r: Req) => string, respond: (r: Req) => object = () => ({})) =>
      (call: { request: Req }, callback: Callback) => {
        w.requests.push(describe(call.request));
        try {
          callback(null, respond(call.request));
        } catch (error) {
          callback(error as ServiceError);
        }
      };
    const implementation = {
      routeToMixer: answer(
        (r: media.RouteToMixerRequest) => `RouteToMixer ${r.tag} ${r.routeId}`,
        (r: media.RouteToMixerRequest) => {
          const endpoint = w.parties.get(r.tag);
          if (!endpoint) throw new Error(`no endpoint for party ${r.tag}`);
          endpoint.useRemote(r.mixerSdp);
          return { sdp: endpoint.sdp() };
        },
      ),
      restoreRoute: answer((r: media.RestoreRouteRequest) => `RestoreRoute ${r.tag}`),
      startFork: answer(
        (r: media.StartForkRequest) => `StartFork ${r.forkId}`,
        (r: media.StartForkRequest) => ({
          parties: r.fromTags.map((fromTag, i) =>
            media.ForkedParty.fromPartial({ fromTag, sinkPort: r.sinkPorts[i], codec: 'PCMU' }),
          ),
        }),
      ),
      stopFork: answer((r: media.StopForkRequest) => `StopFork ${r.forkId}`),
    };
    w.server = await startGrpcServer({
      log,
      host: '127.0.0.1',
      port: 0,
      services: [
        {
          name: 'callctl.media.v1.MediaWorker',
          definition: media.MediaWorkerService,
          implementation,
        } as never,
      ],
    });
    return w;
  }

  get address(): string {
    return `127.0.0.1:${this.server.port}`;
  }

  /** The endpoint of the party with this tag (the leg id when sip-edge named no media). */
  async party(tag: string): Promise<RtpEndpoint> {
    const endpoint = await RtpEndpoint.open();
    this.parties.set(tag, endpoint);
    return endpoint;
  }

  async stop(): Promise<void> {
    for (const endpoint of this.parties.values()) await endpoint.close();
    await this.server.close();
  }
}
