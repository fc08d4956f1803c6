// The platform's processes for end-to-end tests, each on free loopback ports and each from its built
// entry point (`npx tsc -b` first, as `make test` does): the SIP engine, the media-worker, sip-edge and the
// call-orchestrator (and, when a file asks, the recording service, the mixer and the stream gateway), over a
// per-file nats-server, rtpengine and PostgreSQL database.
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { SERVICE_NODE_FLAGS } from '@callctl/service';
import { freePort, startProcess, waitFor, type ManagedProcess } from '@callctl/testing';

const SERVICES = join(__dirname, '..', '..', 'services');
const READY_TIMEOUT_MS = 20_000;

export interface ServiceProcess {
  name: string;
  process: ManagedProcess;
  /** Log lines so far, for failure messages. */
  output(): string;
  stop(): Promise<void>;
  kill(): Promise<void>;
}

/**
 * Node flags for every service, e.g. `--cpu-prof --cpu-prof-dir=/tmp/prof` to profile a benchmark run
 * (Node refuses --cpu-prof in NODE_OPTIONS).
 */
const NODE_ARGS = (process.env.CALLCTL_SERVICE_NODE_ARGS ?? '').split(' ').filter(Boolean);
/** The services' log level: `debug` shows each step of a call with its time. */
const LOG_LEVEL = process.env.CALLCTL_SERVICE_LOG_LEVEL ?? 'info';

/** Starts `node services/<name>/dist/src/main.js` and waits for its ready log line. */
export async function startService(
  name: string,
  env: NodeJS.ProcessEnv,
  readyLine: string,
): Promise<ServiceProcess> {
  const main = join(SERVICES, name, 'dist', 'src', 'main.js');
  if (!existsSync(main)) throw new Error(`${main} is missing: build it first (npx tsc -b services/${name})`);
  const proc = startProcess(process.execPath, [...SERVICE_NODE_FLAGS, ...NODE_ARGS, main], {
    env: { ...process.env, LOG_LEVEL, ...env },
  });
  try {
    await waitFor(
      `${name} ready`,
      () => {
        if (proc.child.exitCode !== null) throw new Error(`${name} exited:\n${proc.output()}`);
        return proc.output().includes(readyLine);
      },
      READY_TIMEOUT_MS,
      50,
    );
  } catch (error) {
    await proc.stop();
    throw new Error(`${name} did not start: ${String(error)}\n${proc.output().slice(-4000)}`);
  }
  return {
    name,
    process: proc,
    output: () => proc.output(),
    stop: () => proc.stop(),
    kill: () => proc.kill(),
  };
}

export interface SipEngineProcess extends ServiceProcess {
  sipPort: number;
  adminPort: number;
  secret: string;
  /** Listeners asked for with `secure` (SIP over TLS, WS, WSS), each on a port of its own. */
  tlsPort?: number;
  wsPort?: number;
  wssPort?: number;
}

/** The TLS, WS and WSS listeners a test wants, and the certificate (and CA) the TLS ones present. */
export interface SecureTransports {
  tls?: boolean;
  ws?: boolean;
  wss?: boolean;
  /** Needed for `tls` and `wss`: e.g. from libs/testing's testCertificateAuthority().issue('localhost'). */
  certificate?: { certFile: string; keyFile: string; caFile?: string };
}

/** `env`: more settings, e.g. the flood ban's (SIP_FLOOD_*); `secure`: TLS/WS/WSS listeners too. */
export async function startSipEngine(
  env: NodeJS.ProcessEnv = {},
  secure: SecureTransports = {},
): Promise<SipEngineProcess> {
  const sipPort = await freePort();
  const adminPort = await freePort();
  const tlsPort = secure.tls ? await freePort() : undefined;
  const wsPort = secure.ws ? await freePort() : undefined;
  const wssPort = secure.wss ? await freePort() : undefined;
  const secret = 'e2e-secret';
  const listener = (port: number | undefined) => (port === undefined ? '' : `127.0.0.1:${port}`);
  const service = await startService(
    'sip-engine',
    {
      SIP_UDP: `127.0.0.1:${sipPort}`,
      SIP_TCP: `127.0.0.1:${sipPort}`,
      SIP_TLS: listener(tlsPort),
      SIP_WS: listener(wsPort),
      SIP_WSS: listener(wssPort),
      ...(secure.certificate
        ? {
            DRACHTIO_TLS_CERT_FILE: secure.certificate.certFile,
            DRACHTIO_TLS_KEY_FILE: secure.certificate.keyFile,
            SIP_TLS_CA_FILE: secure.certificate.caFile ?? '',
          }
        : {}),
      ADMIN: `127.0.0.1:${adminPort}`,
      ADMIN_SECRET: secret,
      // Tests and benchmarks send hundreds of requests a second from 127.0.0.1; other loopback addresses
      // (127.0.0.5 in the flood test) get the default ban.
      SIP_FLOOD_EXEMPT_CIDRS: '127.0.0.1/32',
      ...env,
    },
    'sip-engine ready',
  );
  return { ...service, sipPort, adminPort, secret, tlsPort, wsPort, wssPort };
}

export interface GrpcServiceProcess extends ServiceProcess {
  grpcPort: number;
}

/**
 * Where the media-worker and the orchestrator find the tts and media-library services, and the
 * orchestrator the recording service, when they run.
 */
export interface MediaStorePorts {
  ttsGrpcPort?: number;
  mediaLibraryGrpcPort?: number;
  recordingGrpcPort?: number;
  /** The mixer (services/mixer), for monitoring: the orchestrator's MIXER_GRPC. */
  mixerGrpcPort?: number;
  /** The stream gateway (services/stream-gateway), for media streams: the orchestrator's STREAM_GATEWAY_GRPC. */
  streamGatewayGrpcPort?: number;
}

const mediaStoreEnv = (ports: MediaStorePorts | undefined): NodeJS.ProcessEnv => ({
  ...(ports?.ttsGrpcPort ? { TTS_GRPC: `127.0.0.1:${ports.ttsGrpcPort}` } : {}),
  ...(ports?.mediaLibraryGrpcPort ? { MEDIA_LIBRARY_GRPC: `127.0.0.1:${ports.mediaLibraryGrpcPort}` } : {}),
});

/** The tts service with espeak-ng (and, through `env`, cloud providers pointed at local doubles). */
export async function startTtsProcess(options: {
  cacheDir: string;
  env?: NodeJS.ProcessEnv;
}): Promise<GrpcServiceProcess> {
  const grpcPort = await freePort();
  const service = await startService(
    'tts',
    { GRPC_PORT: String(grpcPort), TTS_CACHE_DIR: options.cacheDir, ...options.env },
    'tts ready',
  );
  return { ...service, grpcPort };
}

/** The recording service over its own test database, forking through the given media-worker. */
export async function startRecordingProcess(options: {
  databaseUrl: string;
  natsUrl: string;
  mediaWorkerGrpcPort: number;
  /** Its live files; a restart with the same directory and instance recovers them. */
  spoolDir: string;
  /** The stored recordings (RECORDING_STORE=fs). */
  recordingDir: string;
  /** The same port again after a restart. */
  grpcPort?: number;
  env?: NodeJS.ProcessEnv;
}): Promise<GrpcServiceProcess> {
  const grpcPort = options.grpcPort ?? (await freePort());
  const service = await startService(
    'recording',
    {
      GRPC_PORT: String(grpcPort),
      DATABASE_URL: options.databaseUrl,
      NATS_URL: options.natsUrl,
      MEDIA_WORKER_GRPC: `127.0.0.1:${options.mediaWorkerGrpcPort}`,
      RECORDING_RTP_HOST: '127.0.0.1',
      RECORDING_SPOOL_DIR: options.spoolDir,
      RECORDING_INSTANCE: 'recording-e2e',
      RECORDING_STORE: 'fs',
      RECORDING_DIR: options.recordingDir,
      ...options.env,
    },
    'recording ready',
  );
  return { ...service, grpcPort };
}

/** Where the mixer's RTP ports come from: a block of its own, clear of rtpengine's and the tests' sockets. */
export interface MixerPorts {
  grpcPort: number;
  rtpPortMin: number;
  rtpPortMax: number;
}

export interface MixerProcess extends GrpcServiceProcess {
  ports: MixerPorts;
}

/** The mixer service (issue 15): rooms of RTP participants that rtpengine sends to and receives from. */
export async function startMixerProcess(options: {
  natsUrl: string;
  ports: MixerPorts;
  env?: NodeJS.ProcessEnv;
}): Promise<MixerProcess> {
  const { grpcPort, rtpPortMin, rtpPortMax } = options.ports;
  const service = await startService(
    'mixer',
    {
      GRPC_PORT: String(grpcPort),
      MIXER_RTP_HOST: '127.0.0.1',
      MIXER_RTP_PORT_MIN: String(rtpPortMin),
      MIXER_RTP_PORT_MAX: String(rtpPortMax),
      MIXER_INSTANCE: 'mixer-e2e',
      NATS_URL: options.natsUrl,
      ...options.env,
    },
    'mixer ready',
  );
  return { ...service, grpcPort, ports: options.ports };
}

/** Where the stream gateway listens and which UDP ports its forks take: a block of its own per file. */
export interface StreamGatewayPorts {
  grpcPort: number;
  rtpPortMin: number;
  rtpPortMax: number;
}

export interface StreamGatewayProcess extends GrpcServiceProcess {
  ports: StreamGatewayPorts;
}

/**
 * The stream gateway (issue 18): forks of the parties' RTP sent as `media` messages to a WebSocket the test
 * serves, and audio sent back to the mixer. ws:// is allowed (the tests' receivers are on loopback); a TLS
 * test adds STREAM_CA_FILE through `env`.
 */
export async function startStreamGatewayProcess(options: {
  natsUrl: string;
  mediaWorkerGrpcPort: number;
  ports: StreamGatewayPorts;
  env?: NodeJS.ProcessEnv;
}): Promise<StreamGatewayProcess> {
  const { grpcPort, rtpPortMin, rtpPortMax } = options.ports;
  const service = await startService(
    'stream-gateway',
    {
      GRPC_PORT: String(grpcPort),
      NATS_URL: options.natsUrl,
      MEDIA_WORKER_GRPC: `127.0.0.1:${options.mediaWorkerGrpcPort}`,
      STREAM_RTP_HOST: '127.0.0.1',
      STREAM_RTP_PORT_MIN: String(rtpPortMin),
      STREAM_RTP_PORT_MAX: String(rtpPortMax),
      STREAM_ALLOW_INSECURE: 'true',
      STREAM_GATEWAY_INSTANCE: 'stream-gateway-e2e',
      ...options.env,
    },
    'stream-gateway ready',
  );
  return { ...service, grpcPort, ports: options.ports };
}

/**
 * The provisioning service (trunks, domains and users, routes) over a test database, publishing to the
 * file's NATS. sip-edge needs the same `secretsKey` (PROVISIONING_SECRETS_KEY) to open trunk passwords.
 */
export async function startProvisioningProcess(options: {
  databaseUrl: string;
  natsUrl: string;
  secretsKey: string;
  env?: NodeJS.ProcessEnv;
}): Promise<GrpcServiceProcess> {
  const grpcPort = await freePort();
  const service = await startService(
    'provisioning',
    {
      GRPC_PORT: String(grpcPort),
      DATABASE_URL: options.databaseUrl,
      NATS_URL: options.natsUrl,
      PROVISIONING_SECRETS_KEY: options.secretsKey,
      ...options.env,
    },
    'provisioning ready',
  );
  return { ...service, grpcPort };
}

/** The media-library service over its own test database. */
export async function startMediaLibraryProcess(options: {
  databaseUrl: string;
  env?: NodeJS.ProcessEnv;
}): Promise<GrpcServiceProcess> {
  const grpcPort = await freePort();
  const service = await startService(
    'media-library',
    { GRPC_PORT: String(grpcPort), DATABASE_URL: options.databaseUrl, ...options.env },
    'media-library ready',
  );
  return { ...service, grpcPort };
}

export async function startMediaWorkerProcess(options: {
  natsUrl: string;
  rtpengineNgPort: number;
  dtmfPort: number;
  cacheDir: string;
  mediaStores?: MediaStorePorts;
  env?: NodeJS.ProcessEnv;
  /** The same port again after a restart. */
  grpcPort?: number;
}): Promise<GrpcServiceProcess> {
  const grpcPort = options.grpcPort ?? (await freePort());
  const service = await startService(
    'media-worker',
    {
      GRPC_PORT: String(grpcPort),
      RTPENGINE_NG: `127.0.0.1:${options.rtpengineNgPort}`,
      DTMF_LOG_LISTEN: `127.0.0.1:${options.dtmfPort}`,
      MEDIA_CACHE_DIR: options.cacheDir,
      // Test prompts are served on loopback, which the worker refuses by default (SSRF).
      MEDIA_URL_ALLOW: '127.0.0.1/32',
      NATS_URL: options.natsUrl,
      ...mediaStoreEnv(options.mediaStores),
      ...options.env,
    },
    'media-worker ready',
  );
  return { ...service, grpcPort };
}

export interface SipEdgeSettings {
  answerTimeoutMs?: number;
  ringTimeoutMs?: number;
  /** How long an InboundCallOffered may wait for NATS before the INVITE gets 503. */
  factGiveUpMs?: number;
  /** SIP_EDGE_DRAIN_MAX_MS: how long calls may go on after SIGTERM. @default the service's (0) */
  drainMaxMs?: number;
  /** More settings, e.g. where traces go. */
  env?: NodeJS.ProcessEnv;
}

export async function startSipEdgeProcess(
  options: {
    natsUrl: string;
    engine: SipEngineProcess;
    mediaWorkerGrpcPort: number;
    grpcPort?: number;
    /** More settings, e.g. SIP_EDGE_INSTANCE. */
    env?: NodeJS.ProcessEnv;
  } & SipEdgeSettings,
): Promise<GrpcServiceProcess> {
  const grpcPort = options.grpcPort ?? (await freePort());
  const service = await startService(
    'sip-edge',
    {
      GRPC_PORT: String(grpcPort),
      SIP_ENGINE_ADMIN: `127.0.0.1:${options.engine.adminPort}`,
      SIP_ENGINE_SECRET: options.engine.secret,
      NATS_URL: options.natsUrl,
      MEDIA_WORKER_GRPC: `127.0.0.1:${options.mediaWorkerGrpcPort}`,
      // The tests' sipp and phones call from 127.0.0.1 without a provisioned trunk.
      INBOUND_ALLOW_CIDRS: '127.0.0.1/32',
      ...(options.answerTimeoutMs ? { ANSWER_TIMEOUT_MS: String(options.answerTimeoutMs) } : {}),
      ...(options.ringTimeoutMs ? { RING_TIMEOUT_MS: String(options.ringTimeoutMs) } : {}),
      ...(options.drainMaxMs ? { SIP_EDGE_DRAIN_MAX_MS: String(options.drainMaxMs) } : {}),
      ...(options.factGiveUpMs
        ? {
            OFFER_PUBLISH_GIVE_UP_MS: String(options.factGiveUpMs),
            FACT_PUBLISH_ATTEMPT_TIMEOUT_MS: String(Math.min(options.factGiveUpMs, 2000)),
          }
        : {}),
      ...options.env,
    },
    'sip-edge ready',
  );
  return { ...service, grpcPort };
}

export async function startOrchestratorProcess(options: {
  natsUrl: string;
  databaseUrl: string;
  sipEdgeGrpcPort: number;
  mediaWorkerGrpcPort: number;
  grpcPort?: number;
  mediaStores?: MediaStorePorts;
  /** More settings, e.g. DEFAULT_MAX_CALL_DURATION_MS. */
  env?: NodeJS.ProcessEnv;
}): Promise<GrpcServiceProcess> {
  const grpcPort = options.grpcPort ?? (await freePort());
  const service = await startService(
    'call-orchestrator',
    {
      GRPC_PORT: String(grpcPort),
      DATABASE_URL: options.databaseUrl,
      NATS_URL: options.natsUrl,
      SIP_EDGE_GRPC: `127.0.0.1:${options.sipEdgeGrpcPort}`,
      MEDIA_WORKER_GRPC: `127.0.0.1:${options.mediaWorkerGrpcPort}`,
      ...mediaStoreEnv(options.mediaStores),
      ...(options.mediaStores?.recordingGrpcPort
        ? { RECORDING_GRPC: `127.0.0.1:${options.mediaStores.recordingGrpcPort}` }
        : {}),
      ...(options.mediaStores?.mixerGrpcPort
        ? { MIXER_GRPC: `127.0.0.1:${options.mediaStores.mixerGrpcPort}` }
        : {}),
      ...(options.mediaStores?.streamGatewayGrpcPort
        ? { STREAM_GATEWAY_GRPC: `127.0.0.1:${options.mediaStores.streamGatewayGrpcPort}` }
        : {}),
      ...options.env,
    },
    'call-orchestrator ready',
  );
  return { ...service, grpcPort };
}
