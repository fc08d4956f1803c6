import { execFileSync } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { credentials, type ClientReadableStream } from '@grpc/grpc-js';
import { media } from '@callctl/proto';
import { connectBus, type NatsConnection } from '@callctl/bus';
import { createLogger } from '@callctl/logging';
import {
  requireBinary,
  startNatsServer,
  startRtpengine,
  type NatsServerFixture,
  type RtpengineFixture,
  freePort,
} from '@callctl/testing';
import { startMediaWorker, type RunningMediaWorker } from '../../src/media-worker.js';
import { RtpEndpoint } from './rtp-endpoint.js';
import { parseUrlAllowList } from '../../src/domain/address-policy.js';

type Callback<Res> = (err: Error | null, res: Res) => void;
/** Promise form of one unary call; the generated client's overloads defeat inference through bind. */
export function call<Req, Res>(method: (req: Req, cb: Callback<Res>) => unknown, req: Req): Promise<Res> {
  return new Promise((resolve, reject) => method(req, (err, res) => (err ? reject(err) : resolve(res))));
}

/**
 * Two RTP parties the worker behind `client` relays, as sip-edge bridges them (Offer from `offerer`, Answer
 * from `answerer`), each told where to send (not yet sending); rtpengine's SDPs for b and for a.
 */
export async function relayPair(
  client: media.MediaWorkerClient,
  endpoint: () => Promise<RtpEndpoint>,
  request: { sessionId: string; callId: string; offerer: string; answerer: string },
): Promise<{ a: RtpEndpoint; b: RtpEndpoint; offered: string; answered: string }> {
  const { sessionId, callId, offerer, answerer } = request;
  const [a, b] = [await endpoint(), await endpoint()];
  const offered = await call<media.OfferRequest, media.OfferResponse>((r, cb) => client.offer(r, cb), {
    sessionId,
    fromTag: offerer,
    sdp: a.sdp(),
    codecs: undefined,
    detectDtmf: false,
    callId,
  });
  b.useRemote(offered.sdp);
  const answered = await call<media.AnswerRequest, media.AnswerResponse>((r, cb) => client.answer(r, cb), {
    sessionId,
    fromTag: offerer,
    toTag: answerer,
    sdp: b.sdp(),
    callId,
  });
  a.useRemote(answered.sdp);
  return { a, b, offered: offered.sdp, answered: answered.sdp };
}

export interface WorkerUnderTest {
  engine: RtpengineFixture;
  natsServer: NatsServerFixture;
  /** The worker's own NATS connection. */
  nats: NatsConnection;
  worker: RunningMediaWorker;
  client: media.MediaWorkerClient;
  /** Temp dir for prompts and the URL cache; removed at close. */
  dir: string;
  /** Everything WatchMediaEvents reported so far, in order. */
  watched: media.MediaEvent[];
  /** The worker's log lines (pino JSON, level warn and above). */
  logLines: string[];
  /** An RTP party on loopback, closed with the worker. */
  endpoint(): Promise<RtpEndpoint>;
  /** A PCM WAV file of a sine made with sox, in dir. */
  tone(name: string, seconds: number, hz: number): string;
  /**
   * A caller the worker answers itself (AnswerLocally, as for an IVR) in a session of its own: the caller's
   * RTP endpoint (not yet sending) and the worker's answer.
   */
  answerLocally(request: {
    legId: string;
    callId: string;
    detectDtmf?: boolean;
  }): Promise<{ caller: RtpEndpoint; sessionId: string; answerSdp: string }>;
  /**
   * Two RTP parties the worker relays, as sip-edge bridges them (Offer from `offerer`, Answer from
   * `answerer`), each told where to send (not yet sending).
   */
  relayed(request: {
    sessionId: string;
    callId: string;
    offerer: string;
    answerer: string;
  }): Promise<{ a: RtpEndpoint; b: RtpEndpoint; offered: string; answered: string }>;
  close(): Promise<void>;
}

/**
 * The worker in-process over a real rtpengine (DTMF log to the worker) and a real nats-server, with a gRPC
 * client and a WatchMediaEvents stream collecting everything: each test file gets its own.
 */
export async function startWorkerUnderTest(
  options: {
    factAttemptTimeoutMs?: number;
    natsReconnectWaitMs?: number;
    sessionCheckIntervalMs?: number;
    /** More rtpengine options (e.g. a short --timeout). */
    rtpengineArgs?: string[];
    /** MediaStore addresses (test/support/media-store-server.ts). */
    mediaStores?: { tts?: string; library?: string };
  } = {},
): Promise<WorkerUnderTest> {
  requireBinary('sox', 'sox');
  const dir = mkdtempSync(join(tmpdir(), 'media-worker-'));
  const dtmfPort = await freePort();
  const engine = await startRtpengine({
    dtmfLogDest: `127.0.0.1:${dtmfPort}`,
    ...(options.rtpengineArgs ? { extraArgs: options.rtpengineArgs } : {}),
  });
  const natsServer = await startNatsServer();
  const nats = await connectBus({
    servers: natsServer.url,
    name: 'media-worker',
    reconnectTimeWaitMs: options.natsReconnectWaitMs ?? 1000,
  });
  const logLines: string[] = [];
  const destination = new Writable({
    write(chunk: Buffer, _encoding, done) {
      logLines.push(chunk.toString('utf8'));
      done();
    },
  });
  const worker = await startMediaWorker({
    log: createLogger({ service: 'media-worker-test', level: 'warn', destination }),
    nats,
    state: { instance: 'media-worker-test', timeoutMs: 2000 },
    facts: { giveUpAfterMs: 30_000, attemptTimeoutMs: options.factAttemptTimeoutMs ?? 2000, drainMs: 1000 },
    grpc: { host: '127.0.0.1', port: 0 },
    rtpengine: { host: '127.0.0.1', port: engine.ngPort, timeoutMs: 3000 },
    dtmfLogListen: { host: '127.0.0.1', port: dtmfPort },
    localMediaHost: '127.0.0.1',
    ...(options.sessionCheckIntervalMs ? { sessionCheckIntervalMs: options.sessionCheckIntervalMs } : {}),
    urlCache: {
      dir: join(dir, 'cache'),
      timeoutMs: 5000,
      maxBytes: 5_000_000,
      maxAgeMs: 60_000,
      maxTotalBytes: 50_000_000,
      // The tests' HTTP servers listen on loopback, which the worker refuses by default (SSRF).
      allow: parseUrlAllowList('127.0.0.1/32'),
    },
    ...(options.mediaStores ? { mediaStores: options.mediaStores } : {}),
  });
  const client = new media.MediaWorkerClient(`127.0.0.1:${worker.grpc.port}`, credentials.createInsecure());
  const watched: media.MediaEvent[] = [];
  const stream: ClientReadableStream<media.WatchMediaEventsResponse> = client.watchMediaEvents({
    sessionId: '',
  });
  stream.on(
    'data',
    (message: media.WatchMediaEventsResponse) => message.event && watched.push(message.event),
  );
  stream.on('error', () => undefined);
  const endpoints: RtpEndpoint[] = [];
  const endpoint = async () => {
    const e = await RtpEndpoint.open();
    endpoints.push(e);
    return e;
  };
  return {
    engine,
    natsServer,
    nats,
    worker,
    client,
    dir,
    watched,
    logLines,
    endpoint,
    answerLocally: async ({ legId, callId, detectDtmf = false }) => {
      const caller = await endpoint();
      const sessionId = `session-${randomUUID()}`;
      const reply = await call<media.AnswerLocallyRequest, media.AnswerLocallyResponse>(
        (r, cb) => client.answerLocally(r, cb),
        {
          sessionId,
          fromTag: legId,
          sdp: caller.sdp(),
          localTag: '',
          echo: 0,
          codecs: undefined,
          callId,
          detectDtmf,
        },
      );
      return { caller, sessionId, answerSdp: reply.sdp };
    },
    relayed: (request) => relayPair(client, endpoint, request),
    tone: (name, seconds, hz) => {
      const file = join(dir, name);
      execFileSync('sox', [
        ...['-n', '-r', '8000', '-c', '1', '-b', '16', '-e', 'signed-integer', file],
        ...['synth', String(seconds), 'sine', String(hz)],
      ]);
      return file;
    },
    close: async () => {
      stream.cancel();
      client.close();
      await Promise.all(endpoints.map((e) => e.close()));
      await worker.close();
      await nats.close();
      await natsServer.stop();
      await engine.stop();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
