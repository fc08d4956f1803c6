// A stand-in for the stream gateway, speaking its real gRPC contract (callctl.streams.v1.StreamGateway):
// every request kept in order, the streams it opened held in memory (HoldsStream answers from them), and
// the facts the gateway publishes (StreamFact on CALLCTL_FACTS) published on a real NATS: StreamConnected
// after OpenStream, StreamClosed with counters after CloseStream. The real gateway (services/stream-gateway)
// is built beside the orchestrator; the end-to-end tests run the two together.
import { randomUUID } from 'node:crypto';
import { Metadata, status, type ServiceError } from '@grpc/grpc-js';
import { jetstream } from '@nats-io/jetstream';
import { ensureFactsStream, streamFactSubject, type NatsConnection } from '@callctl/bus';
import type { Logger } from '@callctl/logging';
import { facts, streamGateway } from '@callctl/proto';
import { startGrpcServer, type RunningGrpcServer } from '@callctl/service';

type GatewayMethod = keyof streamGateway.StreamGatewayServer & string;
type Refusal = { code: status; details: string };
type Callback = (error: ServiceError | null, response?: object) => void;

const refusal = ({ code, details }: Refusal): ServiceError =>
  Object.assign(new Error(details), { code, details, metadata: new Metadata() });

/** The counters every StreamClosed of the stand-in reports. */
export const CLOSED_COUNTERS = { framesSent: 250, framesDropped: 2, reconnects: 0 };

export class StreamGatewayStandIn {
  readonly requests: Array<{ method: GatewayMethod; request: Record<string, unknown> }> = [];
  /** Stream id -> call id of the streams open here. */
  readonly held = new Map<string, string>();
  /** Publish StreamConnected after each OpenStream. */
  connectOnOpen = true;
  /** Called after ConnectStreamOutput is answered (a test sends the bot's audio there). */
  onOutput?: (request: streamGateway.ConnectStreamOutputRequest) => void;
  private readonly refusals = new Map<GatewayMethod, Refusal>();
  private server!: RunningGrpcServer;

  private constructor(private readonly nc: NatsConnection) {}

  static async start(nc: NatsConnection, log: Logger): Promise<StreamGatewayStandIn> {
    const g = new StreamGatewayStandIn(nc);
    await ensureFactsStream(nc);
    const handle =
      <Req extends { streamId: string }>(
        method: GatewayMethod,
        act: (r: Req) => Promise<object | undefined>,
      ) =>
      (call: { request: Req }, callback: Callback) => {
        g.requests.push({ method, request: { ...call.request } as Record<string, unknown> });
        const refused = g.refusals.get(method);
        g.refusals.delete(method);
        if (refused) return callback(refusal(refused));
        act(call.request).then(
          (response) => callback(null, response ?? {}),
          (error: ServiceError) => callback(error),
        );
      };
    const known = (streamId: string) => {
      if (!g.held.has(streamId))
        throw refusal({ code: status.NOT_FOUND, details: `stream ${streamId} is not held here` });
    };
    const implementation = {
      openStream: handle('openStream', async (r: streamGateway.OpenStreamRequest) => {
        if (g.held.has(r.streamId)) return undefined;
        g.held.set(r.streamId, r.callId);
        if (g.connectOnOpen)
          await g.publish(r.callId, r.streamId, {
            $case: 'streamConnected',
            streamConnected: { reconnects: 0 },
          });
        return undefined;
      }),
      updateStream: handle('updateStream', async (r: streamGateway.UpdateStreamRequest) => {
        known(r.streamId);
        return undefined;
      }),
      sendStreamDtmf: handle('sendStreamDtmf', async () => undefined),
      connectStreamOutput: handle(
        'connectStreamOutput',
        async (r: streamGateway.ConnectStreamOutputRequest) => {
          known(r.streamId);
          setImmediate(() => g.onOutput?.(r));
          return undefined;
        },
      ),
      pauseStream: handle('pauseStream', async (r: streamGateway.PauseStreamRequest) => {
        known(r.streamId);
        return undefined;
      }),
      resumeStream: handle('resumeStream', async (r: streamGateway.ResumeStreamRequest) => {
        known(r.streamId);
        return undefined;
      }),
      closeStream: handle('closeStream', async (r: streamGateway.CloseStreamRequest) => {
        const callId = g.held.get(r.streamId);
        known(r.streamId);
        g.held.delete(r.streamId);
        await g.publish(callId!, r.streamId, {
          $case: 'streamClosed',
          streamClosed: { reason: r.reason, detail: 'closed by the stand-in', ...CLOSED_COUNTERS },
        });
        return undefined;
      }),
      holdsStream: handle('holdsStream', async (r: streamGateway.HoldsStreamRequest) => ({
        held: g.held.has(r.streamId),
      })),
    };
    g.server = await startGrpcServer({
      log,
      host: '127.0.0.1',
      port: 0,
      services: [
        {
          name: 'callctl.streams.v1.StreamGateway',
          definition: streamGateway.StreamGatewayService,
          implementation,
        } as never,
      ],
    });
    return g;
  }

  get address(): string {
    return `127.0.0.1:${this.server.port}`;
  }

  /** The requests of one method, in order. */
  received(method: GatewayMethod, streamId?: string): Array<Record<string, unknown>> {
    return this.requests
      .filter((r) => r.method === method && (streamId === undefined || r.request.streamId === streamId))
      .map((r) => r.request);
  }

  /** The next request of this method fails with this status (once). */
  failNext(method: GatewayMethod, code: status, details: string): void {
    this.refusals.set(method, { code, details });
  }

  /** Publishes a StreamFact as the gateway does. */
  async publish(
    callId: string,
    streamId: string,
    fact: NonNullable<facts.StreamFact['fact']>,
  ): Promise<string> {
    const factId = randomUUID();
    const message: facts.StreamFact = {
      factId,
      callId,
      streamId,
      fact,
      sourceSequence: 0,
      occurredAtMs: Date.now(),
    };
    await jetstream(this.nc).publish(streamFactSubject(callId), facts.StreamFact.encode(message).finish(), {
      msgID: factId,
    });
    return factId;
  }

  async stop(): Promise<void> {
    await this.server.close();
  }
}
