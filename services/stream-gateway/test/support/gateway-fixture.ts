// A stream gateway in the test process over the real media stack (nats-server, rtpengine, a media-worker
// process), with a gRPC client and the facts it publishes collected per call.
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { credentials } from '@grpc/grpc-js';
import { connectBus, type NatsConnection } from '@callctl/bus';
import { createLogger } from '@callctl/logging';
import { facts, streamGateway } from '@callctl/proto';
import { SERVICE_NODE_FLAGS } from '@callctl/service';
import { grpcCall, startMediaStack, waitFor, type MediaStack } from '@callctl/testing';
import {
  startStreamGateway,
  type RunningStreamGateway,
  type StreamGatewayOptions,
} from '../../src/stream-gateway.js';

export type GatewayStreams = StreamGatewayOptions['streams'];

export const DEFAULT_STREAMS: GatewayStreams = {
  allowInsecure: true,
  connectTimeoutMs: 3000,
  reconnectWindowMs: 3000,
  bufferMs: 2000,
  playoutMaxMs: 60_000,
  maxStreams: 100,
};

export interface Gateway {
  running: RunningStreamGateway;
  client: streamGateway.StreamGatewayClient;
  call<K extends keyof streamGateway.StreamGatewayClient>(method: K, request: unknown): Promise<unknown>;
  close(): Promise<void>;
}

export interface GatewayFixture {
  stack: MediaStack;
  nats: NatsConnection;
  /** Facts seen on facts.stream.> so far, in order. */
  facts: facts.StreamFact[];
  start(streams?: Partial<GatewayStreams>): Promise<Gateway>;
  waitForFact(
    streamId: string,
    kind: NonNullable<facts.StreamFact['fact']>['$case'],
    timeoutMs?: number,
  ): Promise<facts.StreamFact>;
  stop(): Promise<void>;
}

export async function startGatewayFixture(): Promise<GatewayFixture> {
  const dir = await mkdtemp(join(tmpdir(), 'stream-gateway-'));
  const stack = await startMediaStack(dir, { nodeFlags: SERVICE_NODE_FLAGS });
  const nats = await connectBus({ servers: stack.nats.url, name: 'stream-gateway-test' });
  const seen: facts.StreamFact[] = [];
  const sub = nats.subscribe('facts.stream.>', {
    callback: (_error, msg) => {
      seen.push(facts.StreamFact.decode(msg.data));
    },
  });
  const gateways: Gateway[] = [];
  const log = createLogger({
    service: 'stream-gateway-test',
    level: process.env['LOG_LEVEL'] === 'debug' ? 'debug' : 'warn',
  });
  return {
    stack,
    nats,
    facts: seen,
    async start(streams = {}) {
      const running = await startStreamGateway({
        log,
        nats,
        facts: { giveUpAfterMs: 10_000, attemptTimeoutMs: 1000 },
        mediaWorker: { address: stack.workerAddress, timeoutMs: 3000 },
        grpc: { host: '127.0.0.1', port: 0, drainMs: 500 },
        instance: `sg-${gateways.length}-${process.pid}`,
        rtp: { host: '127.0.0.1', portMin: 0, portMax: 0 },
        streams: { ...DEFAULT_STREAMS, ...streams },
        factDrainMs: 2000,
      });
      const client = new streamGateway.StreamGatewayClient(
        running.grpc.address,
        credentials.createInsecure(),
      );
      const gateway: Gateway = {
        running,
        client,
        call: (method, request) =>
          grpcCall(
            (client[method] as (...args: unknown[]) => unknown).bind(client) as never,
            request as never,
          ),
        close: async () => {
          client.close();
          await running.close();
        },
      };
      gateways.push(gateway);
      return gateway;
    },
    async waitForFact(streamId, kind, timeoutMs = 10_000) {
      let found: facts.StreamFact | undefined;
      await waitFor(
        `${kind} of ${streamId}`,
        () => {
          found = seen.find((f) => f.streamId === streamId && f.fact?.$case === kind);
          return found !== undefined;
        },
        timeoutMs,
        20,
      );
      return found!;
    },
    async stop() {
      for (const gateway of gateways) await gateway.close().catch(() => undefined);
      sub.unsubscribe();
      await nats.drain();
      await stack.stop();
      await rm(dir, { recursive: true, force: true });
    },
  };
}
