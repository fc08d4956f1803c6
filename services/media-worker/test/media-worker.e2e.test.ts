import { join } from 'node:path';
import { tmpdir } from 'node:os';
import { credentials } from '@grpc/grpc-js';
import { health, media } from '@callctl/proto';
import {
  freePort,
  startNatsServer,
  startProcess,
  startRtpengine,
  waitFor,
  type ManagedProcess,
  type NatsServerFixture,
  type RtpengineFixture,
} from '@callctl/testing';

const MAIN = join(__dirname, '..', 'dist', 'src', 'main.js');

function unary<Req, Res>(
  call: (req: Req, cb: (err: Error | null, res: Res) => void) => unknown,
  req: Req,
): Promise<Res> {
  return new Promise((resolve, reject) => call(req, (err, res) => (err ? reject(err) : resolve(res))));
}

describe('media-worker process', () => {
  let engine: RtpengineFixture;
  let natsServer: NatsServerFixture;
  let worker: ManagedProcess;
  let port: number;

  beforeAll(async () => {
    engine = await startRtpengine();
    natsServer = await startNatsServer();
    port = await freePort();
    const dtmfPort = await freePort();
    worker = startProcess(process.execPath, [MAIN], {
      env: {
        ...process.env,
        GRPC_PORT: String(port),
        RTPENGINE_NG: `127.0.0.1:${engine.ngPort}`,
        NATS_URL: natsServer.url,
        DTMF_LOG_LISTEN: `127.0.0.1:${dtmfPort}`,
        MEDIA_CACHE_DIR: join(tmpdir(), `media-worker-cache-${process.pid}`),
        LOG_LEVEL: 'info',
      },
    });
    await waitFor('media-worker ready', () => worker.output().includes('media-worker ready'), 15_000);
  });
  afterAll(async () => {
    await worker?.stop();
    await natsServer?.stop();
    await engine?.stop();
  });

  it('answers the standard gRPC health check for the server and its service', async () => {
    const client = new health.HealthClient(`127.0.0.1:${port}`, credentials.createInsecure());
    try {
      const whole = await unary<health.HealthCheckRequest, health.HealthCheckResponse>(
        client.check.bind(client),
        { service: '' },
      );
      const service = await unary<health.HealthCheckRequest, health.HealthCheckResponse>(
        client.check.bind(client),
        { service: 'callctl.media.v1.MediaWorker' },
      );
      expect(whole.status).toBe(health.HealthCheckResponse_ServingStatus.SERVING);
      expect(service.status).toBe(health.HealthCheckResponse_ServingStatus.SERVING);
      await expect(unary(client.check.bind(client), { service: 'no.such.Service' })).rejects.toMatchObject({
        code: 5,
      });
    } finally {
      client.close();
    }
  });

  it('reports the rtpengine it drives', async () => {
    const client = new media.MediaWorkerClient(`127.0.0.1:${port}`, credentials.createInsecure());
    try {
      const status = await unary(client.getEngineStatus.bind(client), {});
      expect(status).toMatchObject({
        reachable: true,
        activeSessions: 0,
        engineAddress: `127.0.0.1:${engine.ngPort}`,
      });
    } finally {
      client.close();
    }
  });

  it('drains and exits 0 on SIGTERM', async () => {
    worker.child.kill('SIGTERM');
    expect(await worker.exited).toBe(0);
    expect(worker.output()).toContain('"msg":"stopped"');
  });
});

describe('media-worker configuration', () => {
  it('exits 78 with one line naming the bad variable', async () => {
    const proc = startProcess(process.execPath, [MAIN], {
      env: { ...process.env, GRPC_PORT: 'eighty', RTPENGINE_NG: 'nohost' },
    });
    expect(await proc.exited).toBe(78);
    const lines = proc.output().trim().split('\n');
    expect(lines).toHaveLength(1);
    expect(lines[0]).toContain('GRPC_PORT: expected a port number (got "eighty")');
    expect(lines[0]).toContain('RTPENGINE_NG: expected host:port');
  });
});
