// Internal mTLS between real services: the media-library process started with INTERNAL_TLS_* (its main.ts
// wiring), and the orchestrator with the same internal CA forwarding MediaLibrary to it. A peer with the
// internal CA's certificate gets through; one without a certificate, or with another CA's, does not.
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  createMediaLibraryClient,
  GrpcStatusError,
  NO_RETRIES,
  type MediaLibraryClient,
} from '@callctl/client';
import { createLogger } from '@callctl/logging';
import { internalChannelCredentials, startGrpcServer, type RunningGrpcServer } from '@callctl/service';
import {
  createTestDatabase,
  freePort,
  makeCertificateAuthority,
  startProcess,
  waitFor,
  type ManagedProcess,
  type TestCertificateAuthority,
  type TestDatabase,
} from '@callctl/testing';
import { mediaLibraryProxy, type MediaLibraryProxy } from '../src/adapters/grpc/media-library-proxy.js';
import { startHarness, type Harness } from './support/orchestrator-harness.js';

jest.setTimeout(60_000);

const LIBRARY_MAIN = join(__dirname, '..', '..', 'media-library', 'dist', 'src', 'main.js');
const log = createLogger({ service: 'internal-mtls-test', level: 'silent' });

const outcome = (call: Promise<unknown>) =>
  call.then(
    () => 'OK',
    (error: unknown) => {
      if (!(error instanceof GrpcStatusError)) throw error;
      return `${error.code}: ${error.details}`;
    },
  );

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
    if (!existsSync(LIBRARY_MAIN)) throw new Error(`${LIBRARY_MAIN} is missing: build it first (npx tsc -b)`);
    internalCa = makeCertificateAuthority('callctl-internal');
    otherCa = makeCertificateAuthority('not-callctl');
    database = await createTestDatabase();
    dir = mkdtempSync(join(tmpdir(), 'internal-mtls-'));
    const port = await freePort();
    libraryAddress = `127.0.0.1:${port}`;
    const own = internalCa.issue('media-library', { altNames: ['DNS:media-library.callctl.internal'] });
    library = startProcess(process.execPath, [LIBRARY_MAIN], {
      env: {
        ...process.env,
        GRPC_PORT: String(port),
        DATABASE_URL: database.url,
        MEDIA_WORK_DIR: dir,
        INTERNAL_TLS_CA_FILE: internalCa.caFile,
        INTERNAL_TLS_CERT_FILE: own.certFile,
        INTERNAL_TLS_KEY_FILE: own.keyFile,
        LOG_LEVEL: 'info',
      },
    });
    await waitFor(
      'media-library ready',
      () => {
        if (library.child.exitCode !== null) throw new Error(`media-library exited: ${library.output()}`);
        return library.output().includes('media-library ready');
      },
      20_000,
    );
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
