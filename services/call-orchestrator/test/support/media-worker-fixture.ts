// A real media-worker process driving a real rtpengine (with its own nats-server and media files
// directory), for tests that prove media by RTP; and sip-edge's part on AnswerLeg, played for the
// recording SipEdge: the caller's one-sided session (session = call id, tag = leg id), answered locally by
// the worker exactly as sip-edge does, with an RtpEndpoint the test owns as the caller.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { credentials } from '@grpc/grpc-js';
import { media, type sipEdge } from '@callctl/proto';
import {
  freePort,
  RtpEndpoint,
  startNatsServer,
  startProcess,
  startRtpengine,
  waitFor,
  type ManagedProcess,
  type NatsServerFixture,
  type RtpengineFixture,
} from '@callctl/testing';

const WORKER_MAIN = join(__dirname, '..', '..', '..', 'media-worker', 'dist', 'src', 'main.js');

export interface MediaWorkerFixture {
  /** The media files directory (`file_id` x plays `<dir>/x`). */
  readonly dir: string;
  readonly nats: NatsServerFixture;
  readonly engine: RtpengineFixture;
  readonly worker: ManagedProcess;
  readonly client: media.MediaWorkerClient;
  /** The worker's gRPC address. */
  readonly address: string;
  /** The callers answered so far, by leg id. */
  readonly callers: Map<string, RtpEndpoint>;
  /** For the recording SipEdge's onAnswer: the caller's session, as sip-edge makes it. */
  answerCaller(request: sipEdge.AnswerLegRequest): Promise<void>;
  stop(): Promise<void>;
}

export async function startMediaWorkerFixture(dirPrefix: string): Promise<MediaWorkerFixture> {
  const dir = mkdtempSync(join(tmpdir(), dirPrefix));
  const nats = await startNatsServer();
  const dtmfPort = await freePort();
  const engine = await startRtpengine({ dtmfLogDest: `127.0.0.1:${dtmfPort}` });
  const workerPort = await freePort();
  const worker = startProcess(process.execPath, [WORKER_MAIN], {
    env: {
      ...process.env,
      GRPC_PORT: String(workerPort),
      RTPENGINE_NG: `127.0.0.1:${engine.ngPort}`,
      NATS_URL: nats.url,
      DTMF_LOG_LISTEN: `127.0.0.1:${dtmfPort}`,
      MEDIA_CACHE_DIR: join(dir, 'cache'),
      LOG_LEVEL: 'info', // its readiness line is at info
    },
  });
  await waitFor(
    'media-worker ready',
    () => {
      if (worker.child.exitCode !== null) throw new Error(`media-worker exited: ${worker.output()}`);
      return worker.output().includes('media-worker ready');
    },
    20_000,
  );
  const address = `127.0.0.1:${workerPort}`;
  const client = new media.MediaWorkerClient(address, credentials.createInsecure());
  const callers = new Map<string, RtpEndpoint>();
  return {
    dir,
    nats,
    engine,
    worker,
    client,
    address,
    callers,
    answerCaller: async ({ callId, legId }) => {
      const caller = await RtpEndpoint.open();
      callers.set(legId, caller);
      const reply = await new Promise<media.AnswerLocallyResponse>((resolve, reject) =>
        client.answerLocally(
          media.AnswerLocallyRequest.fromPartial({ sessionId: callId, fromTag: legId, sdp: caller.sdp() }),
          (e, r) => (e ? reject(e) : resolve(r)),
        ),
      );
      caller.useRemote(reply.sdp);
    },
    stop: async () => {
      for (const c of callers.values()) await c.close();
      client.close();
      await worker.stop();
      await engine.stop();
      await nats.stop();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
