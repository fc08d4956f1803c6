import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { credentials } from '@grpc/grpc-js';
import { media } from '@callctl/proto';
import { freePort, startProcess, waitFor, type ManagedProcess } from '@callctl/testing';

const MAIN = join(__dirname, '..', '..', 'dist', 'src', 'main.js');

export interface WorkerProcessOptions {
  natsUrl: string;
  rtpengineNgPort: number;
  /** Where rtpengine sends its DTMF log: the same port for every run of the worker. */
  dtmfPort: number;
  cacheDir: string;
  /** MEDIA_WORKER_INSTANCE: a run with the same name takes over the previous run's sessions. */
  instance: string;
  /** SESSION_CHECK_INTERVAL_MS; the worker's default unless given. */
  sessionCheckIntervalMs?: number;
}

/** One run of the media-worker as a process (its built main.js), with a gRPC client to it. */
export interface WorkerProcess {
  client: media.MediaWorkerClient;
  process: ManagedProcess;
  /** SIGKILL: nothing of the worker's shutdown runs. */
  kill(): Promise<void>;
  stop(): Promise<void>;
}

export async function startWorkerProcess(options: WorkerProcessOptions): Promise<WorkerProcess> {
  if (!existsSync(MAIN))
    throw new Error(`${MAIN} is missing: build it first (npx tsc -b services/media-worker)`);
  const grpcPort = await freePort();
  const proc = startProcess(process.execPath, [MAIN], {
    env: {
      ...process.env,
      LOG_LEVEL: 'info',
      GRPC_PORT: String(grpcPort),
      RTPENGINE_NG: `127.0.0.1:${options.rtpengineNgPort}`,
      DTMF_LOG_LISTEN: `127.0.0.1:${options.dtmfPort}`,
      MEDIA_CACHE_DIR: options.cacheDir,
      // The tests' HTTP servers listen on loopback, which the worker refuses by default (SSRF).
      MEDIA_URL_ALLOW: '127.0.0.1/32',
      NATS_URL: options.natsUrl,
      MEDIA_WORKER_INSTANCE: options.instance,
      ...(options.sessionCheckIntervalMs !== undefined
        ? { SESSION_CHECK_INTERVAL_MS: String(options.sessionCheckIntervalMs) }
        : {}),
    },
  });
  try {
    await waitFor(
      'media-worker ready',
      () => {
        if (proc.child.exitCode !== null) throw new Error(`media-worker exited:\n${proc.output()}`);
        return proc.output().includes('media-worker ready');
      },
      20_000,
      50,
    );
  } catch (error) {
    await proc.stop();
    throw new Error(`media-worker did not start: ${String(error)}\n${proc.output().slice(-4000)}`);
  }
  const client = new media.MediaWorkerClient(`127.0.0.1:${grpcPort}`, credentials.createInsecure());
  return {
    client,
    process: proc,
    kill: async () => {
      client.close();
      await proc.kill();
    },
    stop: async () => {
      client.close();
      await proc.stop();
    },
  };
}
