// The real media peers of a service that takes forks (the recording service, the stream gateway) for its
// integration tests: nats-server, rtpengine and a media-worker process (its built entry point: `npx tsc -b`
// first) over them, and calls whose two parties are RtpEndpoints on loopback, set up through the worker
// (Offer/Answer) as sip-edge does.
import { randomUUID } from 'node:crypto';
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { credentials } from '@grpc/grpc-js';
import { media } from '@callctl/proto';
import { startNatsServer, type NatsServerFixture } from './nats-server.js';
import { freePort } from './ports.js';
import { startProcess, type ManagedProcess } from './process.js';
import { RtpEndpoint } from './rtp-endpoint.js';
import { startRtpengine, type RtpengineFixture } from './rtpengine.js';
import { waitFor } from './wait-for.js';

/** The repository's media-worker build, found upwards from here (libs/testing/src, or its dist/src). */
function workerMain(): string {
  for (let dir = __dirname; dirname(dir) !== dir; dir = dirname(dir)) {
    const main = join(dir, 'services', 'media-worker', 'dist', 'src', 'main.js');
    if (existsSync(join(dir, 'services', 'media-worker'))) return main;
  }
  throw new Error(`no services/media-worker above ${__dirname}`);
}

type Callback<Res> = (err: Error | null, res: Res) => void;
/** Promise form of one unary call; the generated client's overloads defeat inference through bind. */
export function grpcCall<Req, Res>(method: (req: Req, cb: Callback<Res>) => unknown, req: Req): Promise<Res> {
  return new Promise((resolve, reject) => method(req, (err, res) => (err ? reject(err) : resolve(res))));
}

export interface ConnectedCall {
  callId: string;
  sessionId: string;
  caller: RtpEndpoint;
  callee: RtpEndpoint;
  /** Ends the session in rtpengine (the worker's Delete). */
  hangUp(): Promise<void>;
}

export interface MediaStack {
  nats: NatsServerFixture;
  rtpengine: RtpengineFixture;
  worker: ManagedProcess;
  /** host:port of the worker's gRPC. */
  workerAddress: string;
  client: media.MediaWorkerClient;
  /** A call whose caller and callee both reach rtpengine (PCMU), not yet sending. */
  connectedCall(): Promise<ConnectedCall>;
  stop(): Promise<void>;
}

export async function startMediaStack(
  dir: string,
  options: {
    mediaPorts?: { min: number; max: number };
    /** Node flags of the worker process (@callctl/service SERVICE_NODE_FLAGS, as the services run). */
    nodeFlags?: readonly string[];
  } = {},
): Promise<MediaStack> {
  const WORKER_MAIN = workerMain();
  if (!existsSync(WORKER_MAIN)) throw new Error(`${WORKER_MAIN} is missing: build it first (npx tsc -b)`);
  const dtmfPort = await freePort();
  const nats = await startNatsServer();
  const rtpengine = await startRtpengine({
    dtmfLogDest: `127.0.0.1:${dtmfPort}`,
    ...(options.mediaPorts ? { mediaPorts: options.mediaPorts } : {}),
  });
  const grpcPort = await freePort();
  const worker = startProcess(process.execPath, [...(options.nodeFlags ?? []), WORKER_MAIN], {
    env: {
      ...process.env,
      LOG_LEVEL: 'info',
      GRPC_PORT: String(grpcPort),
      RTPENGINE_NG: `127.0.0.1:${rtpengine.ngPort}`,
      DTMF_LOG_LISTEN: `127.0.0.1:${dtmfPort}`,
      MEDIA_CACHE_DIR: join(dir, 'media-cache'),
      NATS_URL: nats.url,
      MEDIA_WORKER_INSTANCE: `mw-${randomUUID().slice(0, 8)}`,
    },
  });
  const stopAll = async () => {
    await worker.stop();
    await rtpengine.stop();
    await nats.stop();
  };
  try {
    await waitFor(
      'media-worker ready',
      () => {
        if (worker.child.exitCode !== null) throw new Error(`media-worker exited:\n${worker.output()}`);
        return worker.output().includes('media-worker ready');
      },
      20_000,
      50,
    );
  } catch (error) {
    await stopAll();
    throw error;
  }
  const workerAddress = `127.0.0.1:${grpcPort}`;
  const client = new media.MediaWorkerClient(workerAddress, credentials.createInsecure());
  const endpoints: RtpEndpoint[] = [];
  return {
    nats,
    rtpengine,
    worker,
    workerAddress,
    client,
    async connectedCall() {
      const callId = `call-${randomUUID().slice(0, 8)}`;
      const sessionId = `session-${randomUUID()}`;
      const caller = await RtpEndpoint.open();
      const callee = await RtpEndpoint.open();
      endpoints.push(caller, callee);
      const offer = await grpcCall<media.OfferRequest, media.OfferResponse>(client.offer.bind(client), {
        sessionId,
        fromTag: 'caller',
        sdp: caller.sdp(),
        detectDtmf: false,
        callId,
      });
      callee.useRemote(offer.sdp);
      const answer = await grpcCall<media.AnswerRequest, media.AnswerResponse>(client.answer.bind(client), {
        sessionId,
        fromTag: 'caller',
        toTag: 'callee',
        sdp: callee.sdp(),
        callId,
      });
      caller.useRemote(answer.sdp);
      return {
        callId,
        sessionId,
        caller,
        callee,
        hangUp: async () => {
          await grpcCall<media.DeleteRequest, media.DeleteResponse>(client.delete.bind(client), {
            sessionId,
            tag: '',
          });
        },
      };
    },
    async stop() {
      for (const endpoint of endpoints) await endpoint.close().catch(() => undefined);
      client.close();
      await stopAll();
    },
  };
}
