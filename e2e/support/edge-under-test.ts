// sip-edge with everything it talks to, for one test file: nats-server, rtpengine, the media-worker, the
// SIP engine and sip-edge as processes; a SipEdge gRPC client and every SipFact published, in order.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { credentials } from '@grpc/grpc-js';
import { connectBus, subscribeMessages, type NatsConnection } from '@callctl/bus';
import { facts, media, sipEdge } from '@callctl/proto';
import {
  createTestDatabase,
  freePort,
  freePortBlock,
  type TestDatabase,
  startNatsServer,
  type SippResult,
  startRtpengine,
  waitFor,
  type NatsServerFixture,
  type RtpengineFixture,
} from '@callctl/testing';
import {
  startMediaLibraryProcess,
  startMixerProcess,
  type MixerProcess,
  startStreamGatewayProcess,
  type StreamGatewayProcess,
  startRecordingProcess,
  startTtsProcess,
  type MediaStorePorts,
  startMediaWorkerProcess,
  startSipEdgeProcess,
  startSipEngine,
  type SecureTransports,
  type GrpcServiceProcess,
  type SipEdgeSettings,
  type SipEngineProcess,
} from './services.js';

type Callback<Res> = (err: Error | null, res: Res) => void;
/** Promise form of one unary call; the generated client's overloads defeat inference through bind. */
export function call<Req, Res>(method: (req: Req, cb: Callback<Res>) => unknown, req: Req): Promise<Res> {
  return new Promise((resolve, reject) => method(req, (err, res) => (err ? reject(err) : resolve(res))));
}

export type FactCase = NonNullable<facts.SipFact['fact']>['$case'];

export interface EdgeUnderTest {
  nats: NatsServerFixture;
  rtpengine: RtpengineFixture;
  engine: SipEngineProcess;
  mediaWorker: GrpcServiceProcess;
  sipEdge: GrpcServiceProcess;
  /** The tts and media-library services, when FixtureOptions.mediaServices asked for them. */
  tts?: GrpcServiceProcess;
  mediaLibrary?: GrpcServiceProcess;
  /** The recording service, when FixtureOptions.recording asked for it. */
  recording?: GrpcServiceProcess;
  /** Kills the recording service (SIGKILL) and starts it again on the same port, spool and database. */
  restartRecording(): Promise<void>;
  /** Kills the recording service (SIGKILL) and leaves it down until startRecording. */
  killRecording(): Promise<void>;
  /** Starts the recording service killed by killRecording, on the same port, spool and database. */
  startRecording(): Promise<void>;
  /** The mixer, when FixtureOptions.mixer asked for it. */
  mixer?: MixerProcess;
  /** Kills the mixer (SIGKILL) and leaves it down until startMixer. */
  killMixer(): Promise<void>;
  /** Starts the mixer killed by killMixer, on the same gRPC port and RTP ports. */
  startMixer(): Promise<void>;
  /** The stream gateway, when FixtureOptions.streamGateway asked for it. */
  streamGateway?: StreamGatewayProcess;
  /** Kills the media-worker (SIGKILL), leaves it down for `downMs`, and starts it again on the same port. */
  restartMediaWorker(options?: { downMs?: number }): Promise<void>;
  /** Their ports, for the orchestrator. */
  mediaStores: MediaStorePorts;
  /** Kills sip-edge (SIGKILL) and starts it again on the same gRPC port. */
  restartSipEdge(): Promise<void>;
  client: sipEdge.SipEdgeClient;
  /** Every SipFact seen on facts.sip.>, in arrival order. */
  seen: facts.SipFact[];
  /** The first fact of that kind (for the call, when given) that satisfies `match`. */
  fact<C extends FactCase>(
    kind: C,
    match?: (fact: facts.SipFact) => boolean,
    timeoutMs?: number,
  ): Promise<facts.SipFact & { fact: Extract<facts.SipFact['fact'], { $case: C }> }>;
  /** Fails with sipp's own account and the services' logs unless the sipp run succeeded. */
  expectSippSucceeded(result: SippResult): void;
  /**
   * Where rtpengine receives from one party of a call (from the media-worker's Query of the session), as
   * an SDP fragment for RtpEndpoint.useRemote: the tests' RTP sockets send there.
   */
  rtpengineSideOf(party: { sessionId: string; tag: string }): Promise<string>;
  /** rtpengine's `query` of a media session (the media-worker's Query), as its JSON. */
  mediaQuery(sessionId: string): Promise<RtpengineQuery>;
  /** Facts of one call, in order. */
  factsOf(callId: string): facts.SipFact[];
  dir: string;
  close(): Promise<void>;
}

/** What the tests read of rtpengine's `query`: each tag's media streams, where it receives and sends. */
export interface RtpengineQuery {
  tags: Record<
    string,
    {
      medias: {
        index: number;
        streams: { 'local port': number; endpoint?: { address: string; port: number } }[];
      }[];
    }
  >;
}

/** Sizes of the fixtures, for the full-stack benchmark; the tests keep the defaults. */
export interface FixtureOptions {
  /** Media ports of rtpengine (a call answered by the platform holds 4). @default the fixture's 400 */
  rtpengineMediaPorts?: number;
  /** More rtpengine options (the benchmark's FULL_STACK_RTPENGINE_ARGS). */
  rtpengineArgs?: string[];
  /**
   * Also run the tts service (espeak-ng; `ttsEnv` adds settings such as cloud providers pointed at local
   * doubles) and the media-library service (over its own test database), for Say, prompts and uploads.
   */
  mediaServices?: boolean | { ttsEnv?: NodeJS.ProcessEnv; mediaLibraryEnv?: NodeJS.ProcessEnv };
  /** More media-worker settings (e.g. MEDIA_URL_ALLOW). */
  mediaWorkerEnv?: NodeJS.ProcessEnv;
  /** More SIP engine settings (e.g. SIP_FLOOD_EXEMPT_CIDRS). */
  engineEnv?: NodeJS.ProcessEnv;
  /** SIP over TLS, WS and WSS listeners on the engine too (their ports: `engine.tlsPort` etc.). */
  engineTransports?: SecureTransports;
  /** Settings every service gets (below its own), e.g. where traces go (OTEL_*). */
  serviceEnv?: NodeJS.ProcessEnv;
  /**
   * Also run the recording service (over its own test database, files stored under the fixture's
   * directory); the orchestrator is told where it is (RECORDING_GRPC). `env` adds settings.
   */
  recording?: boolean | { env?: NodeJS.ProcessEnv };
  /**
   * Also run the mixer (services/mixer, for monitoring) on its own gRPC port and RTP port block; the
   * orchestrator is told where it is (MIXER_GRPC). `env` adds settings; `rtpPorts` sizes the block (two
   * calls' worth of participants per monitored call, and more for the benchmark). @default 200 ports
   */
  mixer?: boolean | { env?: NodeJS.ProcessEnv; rtpPorts?: number };
  /**
   * Also run the stream gateway (services/stream-gateway, media streams) on its own gRPC port and a block of
   * fork ports of its own (files run in parallel); the orchestrator is told where it is
   * (STREAM_GATEWAY_GRPC). `env` adds settings (STREAM_CA_FILE for a TLS receiver, shorter windows).
   * @default 100 ports
   */
  streamGateway?: boolean | { env?: NodeJS.ProcessEnv; rtpPorts?: number };
}

const MIXER_RTP_PORTS = 200;
const STREAM_RTP_PORTS = 100;

export async function startEdgeUnderTest(
  settings: SipEdgeSettings = {},
  fixtures: FixtureOptions = {},
): Promise<EdgeUnderTest> {
  const dir = mkdtempSync(join(tmpdir(), 'sip-edge-e2e-'));
  const dtmfPort = await freePort();
  const started: { stop(): Promise<void> }[] = [];
  const keep = <T extends { stop(): Promise<void> }>(fixture: T): T => {
    started.unshift(fixture);
    return fixture;
  };
  let nats: NatsServerFixture;
  let rtpengine: RtpengineFixture;
  let engine: SipEngineProcess;
  let mediaWorker: GrpcServiceProcess;
  let mediaWorkerOptions: Parameters<typeof startMediaWorkerProcess>[0];
  let edge: GrpcServiceProcess;
  let edgeOptions: Parameters<typeof startSipEdgeProcess>[0];
  let tts: GrpcServiceProcess | undefined;
  let mediaLibrary: GrpcServiceProcess | undefined;
  let libraryDb: TestDatabase | undefined;
  let recording: GrpcServiceProcess | undefined;
  let recordingDb: TestDatabase | undefined;
  let recordingOptions: Parameters<typeof startRecordingProcess>[0] | undefined;
  let mixer: MixerProcess | undefined;
  let mixerOptions: Parameters<typeof startMixerProcess>[0] | undefined;
  let streamGateway: StreamGatewayProcess | undefined;
  const mediaStores: MediaStorePorts = {};
  try {
    if (fixtures.mediaServices) {
      const more = fixtures.mediaServices === true ? {} : fixtures.mediaServices;
      tts = keep(
        await startTtsProcess({
          cacheDir: join(dir, 'tts'),
          env: { ...fixtures.serviceEnv, ...more.ttsEnv },
        }),
      );
      const db = (libraryDb = await createTestDatabase());
      keep({ stop: () => db.drop() });
      mediaLibrary = keep(
        await startMediaLibraryProcess({
          databaseUrl: libraryDb.url,
          env: { ...fixtures.serviceEnv, ...more.mediaLibraryEnv },
        }),
      );
      mediaStores.ttsGrpcPort = tts.grpcPort;
      mediaStores.mediaLibraryGrpcPort = mediaLibrary.grpcPort;
    }
    nats = keep(await startNatsServer());
    rtpengine = keep(
      await startRtpengine({
        dtmfLogDest: `127.0.0.1:${dtmfPort}`,
        ...(fixtures.rtpengineMediaPorts ? { mediaPorts: freePortBlock(fixtures.rtpengineMediaPorts) } : {}),
        ...(fixtures.rtpengineArgs ? { extraArgs: fixtures.rtpengineArgs } : {}),
      }),
    );
    engine = keep(await startSipEngine(fixtures.engineEnv, fixtures.engineTransports));
    mediaWorkerOptions = {
      natsUrl: nats.url,
      rtpengineNgPort: rtpengine.ngPort,
      dtmfPort,
      cacheDir: join(dir, 'cache'),
      mediaStores,
      env: {
        // What it announces for GetMediaResources: the fixture's rtpengine, as it runs.
        RTPENGINE_ADVERTISED_ADDRESS: rtpengine.host,
        RTPENGINE_PORT_MIN: String(rtpengine.mediaPorts.min),
        RTPENGINE_PORT_MAX: String(rtpengine.mediaPorts.max),
        ...fixtures.serviceEnv,
        ...fixtures.mediaWorkerEnv,
      },
    };
    mediaWorker = await startMediaWorkerProcess(mediaWorkerOptions);
    // Stops whichever process runs at the end (a restart replaces it).
    keep({ stop: () => mediaWorker.stop() });
    if (fixtures.recording) {
      const more = fixtures.recording === true ? {} : fixtures.recording;
      const db = (recordingDb = await createTestDatabase());
      keep({ stop: () => db.drop() });
      recordingOptions = {
        databaseUrl: db.url,
        natsUrl: nats.url,
        mediaWorkerGrpcPort: mediaWorker.grpcPort,
        spoolDir: join(dir, 'recording-spool'),
        recordingDir: join(dir, 'recordings'),
        env: { ...fixtures.serviceEnv, ...more.env },
      };
      const started = await startRecordingProcess(recordingOptions);
      recording = started;
      // Stops whichever process runs at the end (a restart replaces it).
      keep({ stop: () => (recording ?? started).stop() });
      mediaStores.recordingGrpcPort = started.grpcPort;
    }
    if (fixtures.mixer) {
      const more = fixtures.mixer === true ? {} : fixtures.mixer;
      const block = freePortBlock(more.rtpPorts ?? MIXER_RTP_PORTS);
      mixerOptions = {
        natsUrl: nats.url,
        ports: { grpcPort: await freePort(), rtpPortMin: block.min, rtpPortMax: block.max },
        env: { ...fixtures.serviceEnv, ...more.env },
      };
      const started = await startMixerProcess(mixerOptions);
      mixer = started;
      // Stops whichever process runs at the end (a restart replaces it).
      keep({ stop: () => (mixer ?? started).stop() });
      mediaStores.mixerGrpcPort = started.grpcPort;
    }
    if (fixtures.streamGateway) {
      const more = fixtures.streamGateway === true ? {} : fixtures.streamGateway;
      const block = freePortBlock(more.rtpPorts ?? STREAM_RTP_PORTS);
      const started = (streamGateway = keep(
        await startStreamGatewayProcess({
          natsUrl: nats.url,
          mediaWorkerGrpcPort: mediaWorker.grpcPort,
          ports: { grpcPort: await freePort(), rtpPortMin: block.min, rtpPortMax: block.max },
          env: { ...fixtures.serviceEnv, ...more.env },
        }),
      ));
      mediaStores.streamGatewayGrpcPort = started.grpcPort;
    }
    edgeOptions = {
      natsUrl: nats.url,
      engine,
      mediaWorkerGrpcPort: mediaWorker.grpcPort,
      ...settings,
      env: { ...fixtures.serviceEnv, ...settings.env },
    };
    edge = await startSipEdgeProcess(edgeOptions);
  } catch (error) {
    // Nothing may outlive a failed start: the processes would hold ports and CPU for the next files.
    for (const fixture of started) await fixture.stop();
    rmSync(dir, { recursive: true, force: true });
    throw error;
  }
  const nc: NatsConnection = await connectBus({ servers: nats.url, name: 'sip-edge-e2e' });
  const seen: facts.SipFact[] = [];
  const subscription = subscribeMessages(nc, 'facts.sip.>', facts.SipFact);
  void (async () => {
    for await (const message of subscription) seen.push(message.data);
  })();
  await nc.flush();
  /** What the services logged last: it explains a missing fact or a failed sipp run. */
  const tails = () =>
    [edge, mediaWorker, engine]
      .map((service) => `--- ${service.name}\n${service.output().slice(-3000)}`)
      .join('\n');
  const killRecording = async () => {
    if (!recording || !recordingOptions) throw new Error('the fixture runs no recording service');
    await recording.kill();
  };
  const restartKilledRecording = async () => {
    if (!recording || !recordingOptions) throw new Error('the fixture runs no recording service');
    recording = await startRecordingProcess({ ...recordingOptions, grpcPort: recording.grpcPort });
  };
  const client = new sipEdge.SipEdgeClient(`127.0.0.1:${edge.grpcPort}`, credentials.createInsecure());
  const mediaClient = new media.MediaWorkerClient(
    `127.0.0.1:${mediaWorker.grpcPort}`,
    credentials.createInsecure(),
  );
  const mediaQuery = async (sessionId: string): Promise<RtpengineQuery> => {
    const reply = await call<media.QueryRequest, media.QueryResponse>((r, cb) => mediaClient.query(r, cb), {
      sessionId,
    });
    return JSON.parse(reply.detailJson) as RtpengineQuery;
  };
  return {
    nats,
    rtpengine,
    engine,
    get mediaWorker() {
      return mediaWorker;
    },
    ...(tts ? { tts } : {}),
    ...(mediaLibrary ? { mediaLibrary } : {}),
    get recording() {
      return recording;
    },
    restartRecording: async () => {
      await killRecording();
      await restartKilledRecording();
    },
    killRecording,
    startRecording: restartKilledRecording,
    get mixer() {
      return mixer;
    },
    ...(streamGateway ? { streamGateway } : {}),
    async killMixer() {
      if (!mixer) throw new Error('the fixture runs no mixer');
      await mixer.kill();
    },
    async startMixer() {
      if (!mixerOptions) throw new Error('the fixture runs no mixer');
      mixer = await startMixerProcess(mixerOptions);
    },
    async restartMediaWorker({ downMs = 0 } = {}) {
      await mediaWorker.kill();
      await new Promise((resolve) => setTimeout(resolve, downMs));
      mediaWorker = await startMediaWorkerProcess({ ...mediaWorkerOptions, grpcPort: mediaWorker.grpcPort });
    },
    mediaStores,
    get sipEdge() {
      return edge;
    },
    async restartSipEdge() {
      await edge.kill();
      edge = await startSipEdgeProcess({ ...edgeOptions, grpcPort: edge.grpcPort });
    },
    client,
    seen,
    dir,
    fact: (kind, match = () => true, timeoutMs = 15_000) =>
      waitFor(
        `SipFact ${kind}`,
        () => seen.find((f) => f.fact?.$case === kind && match(f)) as never,
        timeoutMs,
        20,
      ).catch((error: unknown) => {
        throw new Error(`${String(error)}\n${tails()}`);
      }),
    factsOf: (callId) => seen.filter((f) => f.callId === callId),
    async rtpengineSideOf({ sessionId, tag }) {
      const detail = await mediaQuery(sessionId);
      const port = detail.tags[tag]?.medias[0]?.streams[0]?.['local port'];
      if (!port)
        throw new Error(`rtpengine has no stream for ${tag}: ${JSON.stringify(detail).slice(0, 2000)}`);
      return `c=IN IP4 127.0.0.1\r\nm=audio ${port} RTP/AVP 0\r\n`;
    },
    mediaQuery,
    expectSippSucceeded(result) {
      if (result.exitCode === 0 && result.failedCalls === 0) return;
      throw new Error(`sipp failed: ${result.describe()}\n${tails()}`);
    },
    async close() {
      client.close();
      mediaClient.close();
      await subscription.close();
      await nc.close();
      // The recording service first: its stop stores what it records and ends its forks on the worker.
      await recording?.stop();
      await recordingDb?.drop();
      // The gateway before the worker: its stop closes the streams and ends their forks on the worker.
      await streamGateway?.stop();
      await mixer?.stop();
      for (const service of [edge, mediaWorker, engine]) await service.stop();
      for (const service of [mediaLibrary, tts]) await service?.stop();
      await libraryDb?.drop();
      await rtpengine.stop();
      await nats.stop();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
