// TLS on a gRPC port and internal mTLS, with certificates made by openssl for this file: a peer call with
// the internal CA's client certificate goes through; one without it, or with another CA's, does not; a
// rotated certificate is served without a restart.
import { copyFileSync, readFileSync } from 'node:fs';
import { credentials, status, type ChannelCredentials } from '@grpc/grpc-js';
import { createLogger } from '@callctl/logging';
import { health } from '@callctl/proto';
import { makeCertificateAuthority, waitFor, type TestCertificateAuthority } from '@callctl/testing';
import { internalChannelCredentials, internalServerTls, type InternalTls } from './grpc-credentials.js';
import { startGrpcServer, type RunningGrpcServer } from './grpc-server.js';
import { callPeer, type PeerFailure, type Unary } from './peer-call.js';

const log = createLogger({ service: 'grpc-tls-test', level: 'silent' });

/** One health check over the given credentials; resolves with the status, or the failure's gRPC code. */
async function check(address: string, channel: ChannelCredentials): Promise<string> {
  const client = new health.HealthClient(address, channel);
  try {
    const response = await callPeer(
      client.check.bind(client) as Unary<health.HealthCheckRequest, health.HealthCheckResponse>,
      { service: '' },
      { timeoutMs: 3000, toError: (failure: PeerFailure) => failure.cause },
    );
    return health.healthCheckResponse_ServingStatusToJSON(response.status);
  } catch (error) {
    return status[(error as { code: number }).code] ?? String(error);
  } finally {
    client.close();
  }
}

describe('internal gRPC mTLS', () => {
  let ca: TestCertificateAuthority;
  let stranger: TestCertificateAuthority;
  let server: RunningGrpcServer;
  let serverTls: InternalTls;
  const closers: Array<() => void> = [];
  const channel = (tls: InternalTls | undefined) => {
    const made = internalChannelCredentials(tls, log);
    closers.push(made.close);
    return made.credentials;
  };

  beforeAll(async () => {
    ca = makeCertificateAuthority('callctl-internal');
    stranger = makeCertificateAuthority('someone-else');
    // A name that is not the address dialled (127.0.0.1): peers are reached at pod IPs no certificate lists.
    serverTls = {
      caFile: ca.caFile,
      ...ca.issue('media-worker', { altNames: ['DNS:media-worker.callctl.internal'] }),
    };
    server = await startGrpcServer({ log, port: 0, services: [], tls: internalServerTls(serverTls) });
  });
  afterAll(async () => {
    closers.forEach((close) => close());
    await server?.close();
    ca?.remove();
    stranger?.remove();
  });

  it('answers a peer that presents a certificate from the internal CA, whatever address it dialled', async () => {
    const client = { caFile: ca.caFile, ...ca.issue('call-orchestrator') };
    expect(await check(server.address, channel(client))).toBe('SERVING');
  });

  it('refuses a plaintext client', async () => {
    expect(await check(server.address, credentials.createInsecure())).toBe('UNAVAILABLE');
  });

  it('refuses a TLS client without a certificate', async () => {
    const tlsOnly = credentials.createSsl(readFileSync(ca.caFile), null, null, {
      checkServerIdentity: () => undefined,
    });
    expect(await check(server.address, tlsOnly)).toBe('UNAVAILABLE');
  });

  it('refuses a certificate from another CA, and a client refuses a server the internal CA did not sign', async () => {
    const outsider = { caFile: ca.caFile, ...stranger.issue('call-orchestrator') };
    expect(await check(server.address, channel(outsider))).toBe('UNAVAILABLE');
    const trustsStranger = { caFile: stranger.caFile, ...stranger.issue('call-orchestrator') };
    expect(await check(server.address, channel(trustsStranger))).toBe('UNAVAILABLE');
  });
});

describe('TLS on a public port (no client certificate)', () => {
  let first: TestCertificateAuthority;
  let second: TestCertificateAuthority;
  let server: RunningGrpcServer;
  let files: { certFile: string; keyFile: string };

  beforeAll(async () => {
    first = makeCertificateAuthority('first-ca');
    second = makeCertificateAuthority('second-ca');
    files = first.issue('api.callctl.test');
    server = await startGrpcServer({ log, port: 0, services: [], tls: { ...files, reloadIntervalMs: 100 } });
  });
  afterAll(async () => {
    await server?.close();
    first?.remove();
    second?.remove();
  });

  const trusting = (caFile: string) => credentials.createSsl(readFileSync(caFile));

  it('serves a client that trusts its CA, and not a plaintext one', async () => {
    expect(await check(server.address, trusting(first.caFile))).toBe('SERVING');
    expect(await check(server.address, credentials.createInsecure())).toBe('UNAVAILABLE');
  });

  it('serves a rotated certificate to new connections without a restart', async () => {
    expect(await check(server.address, trusting(second.caFile))).toBe('UNAVAILABLE');
    const rotated = second.issue('api.callctl.test');
    // Key first, then certificate: between the two the pair does not match and the old one stays.
    copyFileSync(rotated.keyFile, files.keyFile);
    copyFileSync(rotated.certFile, files.certFile);
    await waitFor(
      'the rotated certificate served',
      async () => ((await check(server.address, trusting(second.caFile))) === 'SERVING' ? true : undefined),
      10_000,
      200,
    );
    expect(await check(server.address, trusting(first.caFile))).toBe('UNAVAILABLE');
  });
});

describe('the plaintext health port beside a TLS port (kubelet gRPC probes speak no TLS)', () => {
  let ca: TestCertificateAuthority;
  let server: RunningGrpcServer;
  const closers: Array<() => void> = [];

  beforeAll(async () => {
    ca = makeCertificateAuthority('callctl-internal');
    const serverTls = { caFile: ca.caFile, ...ca.issue('tts') };
    server = await startGrpcServer({
      log,
      port: 0,
      healthPort: 0,
      services: [],
      tls: internalServerTls(serverTls),
    });
  });
  afterAll(async () => {
    closers.forEach((close) => close());
    await server?.close();
    ca?.remove();
  });

  const healthAddress = () => `127.0.0.1:${server.healthPort}`;

  it('answers a plaintext health check with the statuses of the TLS port, while the TLS port refuses plaintext', async () => {
    expect(server.healthPort).toBeGreaterThan(0);
    expect(server.healthPort).not.toBe(server.port);
    expect(await check(healthAddress(), credentials.createInsecure())).toBe('SERVING');
    expect(await check(server.address, credentials.createInsecure())).toBe('UNAVAILABLE');
    server.health.set('', 'NOT_SERVING');
    expect(await check(healthAddress(), credentials.createInsecure())).toBe('NOT_SERVING');
    server.health.set('', 'SERVING');
  });

  it('serves nothing but health', async () => {
    const client = new health.HealthClient(healthAddress(), credentials.createInsecure());
    const unknown = await new Promise<number | undefined>((resolve) =>
      client.makeUnaryRequest(
        '/callctl.media.v1.MediaWorker/Play',
        (value: Buffer) => value,
        (value: Buffer) => value,
        Buffer.alloc(0),
        (error) => resolve(error?.code),
      ),
    );
    client.close();
    expect(unknown).toBe(status.UNIMPLEMENTED);
  });

  it('closes with the server', async () => {
    const address = healthAddress();
    await server.close();
    expect(await check(address, credentials.createInsecure())).toBe('UNAVAILABLE');
  });
});
