import { advertiseInstance, ensureFactsStream, watchInstances, type NatsConnection } from '@callctl/bus';
import type { Logger } from '@callctl/logging';
import { rtpPortRange } from '@callctl/rtp';
import {
  ForkClient,
  startGrpcServer,
  type ForkClientOptions,
  type GrpcListenOptions,
  type RunningGrpcServer,
} from '@callctl/service';
import { streamGatewayService } from './adapters/grpc/stream-gateway-service.js';
import { streamFactReporting } from './adapters/nats/stream-fact-publisher.js';
import { wsEndpoint } from './adapters/ws/ws-endpoint.js';
import { Streams } from './app/streams.js';
import type { ConnectEndpoint } from './app/ports.js';

export interface StreamGatewayOptions {
  log: Logger;
  /** The caller owns the connection (and drains it after close()). */
  nats: NatsConnection;
  facts: { giveUpAfterMs: number; attemptTimeoutMs: number };
  mediaWorker: ForkClientOptions;
  /** tls: internal mTLS (internalServerTls). @default plain */
  grpc: GrpcListenOptions;
  instance: string;
  /** host:port announced to peers (ADVERTISE_GRPC). @default 127.0.0.1 and the bound gRPC port */
  advertise?: string;
  rtp: { host: string; portMin: number; portMax: number };
  streams: {
    allowInsecure: boolean;
    caFile?: string | undefined;
    connectTimeoutMs: number;
    reconnectWindowMs: number;
    bufferMs: number;
    playoutMaxMs: number;
    maxStreams: number;
    /** See StreamsOptions.idleMs. @default 5000 */
    idleMs?: number;
  };
  /** Facts still being retried at close are given up after this long. @default 5000 */
  factDrainMs?: number;
  /** Another way to reach endpoints (tests). @default the `ws` package */
  connect?: ConnectEndpoint;
}

export interface RunningStreamGateway {
  grpc: RunningGrpcServer;
  streams: Streams;
  /** Stops the announcement and the gRPC server, closes every stream (`close` sent), drains the facts. */
  close(): Promise<void>;
}

/** Wires the service by hand (STYLE 13); main.ts and the tests both start it through here. */
export async function startStreamGateway(options: StreamGatewayOptions): Promise<RunningStreamGateway> {
  const { log } = options;
  // Facts are published whether or not the orchestrator made the stream yet (the same settings as its).
  await ensureFactsStream(options.nats);
  const workers = await watchInstances({ nc: options.nats, kind: 'media-worker' });
  const forks = new ForkClient({ ...options.mediaWorker, instances: workers });
  const facts = streamFactReporting(options.nats, { ...options.facts, log: log.child({ module: 'facts' }) });
  const streams = new Streams({
    ...options.streams,
    idleMs: options.streams.idleMs ?? 5000,
    rtpHost: options.rtp.host,
    forks,
    openRtpSocket: rtpPortRange({
      host: options.rtp.host,
      min: options.rtp.portMin,
      max: options.rtp.portMax,
    }),
    connect:
      options.connect ??
      wsEndpoint({ connectTimeoutMs: options.streams.connectTimeoutMs, caFile: options.streams.caFile }),
    facts,
    log: log.child({ module: 'streams' }),
  });
  const shutDown = async () => {
    await streams.closeAll();
    await facts.close(options.factDrainMs ?? 5000);
    forks.close();
    workers.close();
  };
  let grpc: RunningGrpcServer;
  try {
    grpc = await startGrpcServer({
      log,
      ...options.grpc,
      services: [streamGatewayService({ streams, allowInsecure: options.streams.allowInsecure, log })],
    });
  } catch (error) {
    await shutDown();
    throw error;
  }
  const advertisement = await advertiseInstance({
    nc: options.nats,
    kind: 'stream-gateway',
    name: options.instance,
    address: options.advertise ?? `127.0.0.1:${grpc.port}`,
  });
  return {
    grpc,
    streams,
    close: async () => {
      await advertisement.close();
      await grpc.close();
      await shutDown();
    },
  };
}
