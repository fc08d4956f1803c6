// Internal mTLS between real services: the media-library process started with INTERNAL_TLS_* (its main.ts
// wiring), and the orchestrator with the same internal CA forwarding MediaLibrary to it. A peer with the
// internal CA's certificate gets through; one without a certificate, or with another CA's, does not.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createMediaLibraryClient, NO_RETRIES, type MediaLibraryClient } from '@callctl/client';
import { createLogger } from '@callctl/logging';
import { internalChannelCredentials, startGrpcServer, type RunningGrpcServer } from '@callctl/service';
import {
  createTestDatabase,
  makeCertificateAuthority,
  type ManagedProcess,
  type TestCertificateAuthority,
  type TestDatabase,
} from '@callctl/testing';
import { mediaLibraryProxy, type MediaLibraryProxy } from '../src/adapters/grpc/media-library-proxy.js';
import { startMediaLibraryProcess } from './support/media-library-process.js';
import { startHarness, type Harness } from './support/orchestrator-harness.js';
import { outcome } from './support/status-outcome.js';

jest.setTimeout(60_000);

const log = createLogger({ service: 'internal-mtls-test', level: 'silent' });

describe('internal mTLS: the orchestrator forwarding MediaLibrary to the media-library process', () => {
  let internalCa: TestCertificateAuthority;
  let otherCa: TestCertificateAuthority;
  let database: TestDatabase;
  let dir: string;
  let library: ManagedProcess;
  let libraryAddress: string;
  let h: Harness;
  const closers: Array<() => unknown> = [];

  const libraryClient = (address: string) => {
    const client = createMediaLibraryClient({ address, retry: NO_RETRIES, deadlineMs: 5000 });
    closers.push(() => client.close());
    return client;
  };

  /** A proxy of our own in front of the library, dialling with the given internal TLS (or plain). */
  async function proxyWith(
    tls: Parameters<typeof internalChannelCredentials>[0],
  ): Promise<MediaLibraryClient> {
    const channel = internalChannelCredentials(tls, log);
    const proxy: MediaLibraryProxy = mediaLibraryProxy({
      address: libraryAddress,
      timeoutMs: 5000,
      log,
      credentials: channel.credentials,
    });
    const server: RunningGrpcServer = await startGrpcServer({ log, port: 0, services: [proxy.binding] });
    closers.push(
      () => server.close(),
      () => proxy.close(),
      () => channel.close(),
    );
    return libraryClient(server.address);
  }

  beforeAll(async () => {
    internalCa = makeCertificateAuthority('callctl-internal');
    otherCa = makeCertificateAuthority('not-callctl');
    database = await createTestDatabase();
    dir = mkdtempSync(join(tmpdir(), 'internal-mtls-'));
    const own = internalCa.issue('media-library', { altNames: ['DNS:media-library.callctl.internal'] });
    const started = await startMediaLibraryProcess({
      DATABASE_URL: database.url,
      MEDIA_WORK_DIR: dir,
      INTERNAL_TLS_CA_FILE: internalCa.caFile,
      INTERNAL_TLS_CERT_FILE: own.certFile,
      INTERNAL_TLS_KEY_FILE: own.keyFile,
    });
    library = started.process;
    libraryAddress = `127.0.0.1:${started.port}`;
    h = await startHarness({
      orchestrator: {
        mediaLibrary: { address: libraryAddress, timeoutMs: 5000 },
        internalTls: { caFile: internalCa.caFile, ...internalCa.issue('call-orchestrator') },
      },
    });
  });
  afterAll(async () => {
    for (const close of closers.reverse()) await close();
    await h?.stop();
    await library?.stop();
    await database?.drop();
    internalCa?.remove();
    otherCa?.remove();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it('the orchestrator, holding a certificate from the internal CA, reaches the library', async () => {
    const client = libraryClient(`127.0.0.1:${h.orchestrator.grpc.port}`);
    expect(await outcome(client.listMedia({ pageSize: 10, pageToken: '' }))).toBe('OK');
    expect(await outcome(client.getMedia({ mediaId: 'ml-00000000000000000000000000000000' }))).toMatch(
      /^NOT_FOUND: /,
    );
  });

  it('a peer dialling in plaintext is refused', async () => {
    const client = await proxyWith(undefined);
    expect(await outcome(client.listMedia({ pageSize: 10, pageToken: '' }))).toMatch(
      /^UNAVAILABLE: media-library is unavailable/,
    );
  });

  it('a peer with a certificate from another CA is refused', async () => {
    const client = await proxyWith({ caFile: internalCa.caFile, ...otherCa.issue('call-orchestrator') });
    expect(await outcome(client.listMedia({ pageSize: 10, pageToken: '' }))).toMatch(
      /^UNAVAILABLE: media-library is unavailable/,
    );
  });
});
