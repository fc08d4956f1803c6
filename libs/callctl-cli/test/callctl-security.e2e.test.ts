// The built `callctl` against the real call-orchestrator process with the public port secured as the chart
// runs it: TLS (GRPC_TLS_*), API_AUTH=token with a tokens file of hashes, and a NATS that requires a user
// and password (NATS_USER/NATS_PASSWORD). Certificates are made by openssl for this file.
import { createHash } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  createTestDatabase,
  freePort,
  makeCertificateAuthority,
  startNatsServer,
  startProcess,
  waitFor,
  type ManagedProcess,
  type NatsServerFixture,
  type TestCertificateAuthority,
  type TestDatabase,
} from '@callctl/testing';
import { ORCHESTRATOR, runCallctl } from './support/callctl-process.js';

jest.setTimeout(60_000);

/** Resolves with the exit status of a process that is expected to stop by itself. */
const exitCodeOf = (started: ManagedProcess) =>
  new Promise<number | null>((resolve) => {
    if (started.child.exitCode !== null) resolve(started.child.exitCode);
    else started.child.once('exit', (code) => resolve(code));
  });

const READER_TOKEN = 'reader-token-6b1e0f2d9c8a';
const NATS_AUTH = { user: 'orchestrator', password: 'nats-pass-77c1' };

describe('callctl against a secured call-orchestrator', () => {
  let db: TestDatabase;
  let nats: NatsServerFixture;
  let ca: TestCertificateAuthority;
  let dir: string;
  let orchestrator: ManagedProcess;
  let server: string;
  let baseEnv: Record<string, string>;

  /** The orchestrator's environment: the secured port, the tokens file and NATS credentials. */
  const orchestratorEnv = (port: number, certificate: { certFile: string; keyFile: string }) => ({
    ...process.env,
    GRPC_PORT: String(port),
    GRPC_TLS_CERT_FILE: certificate.certFile,
    GRPC_TLS_KEY_FILE: certificate.keyFile,
    API_AUTH: 'token',
    API_TOKENS_FILE: join(dir, 'tokens'),
    DATABASE_URL: db.url,
    NATS_URL: nats.url,
    NATS_USER: NATS_AUTH.user,
    NATS_PASSWORD: NATS_AUTH.password,
    SIP_EDGE_GRPC: '127.0.0.1:1',
    MEDIA_WORKER_GRPC: '127.0.0.1:1',
    LOG_LEVEL: 'info',
  });

  beforeAll(async () => {
    ca = makeCertificateAuthority('callctl-api-ca');
    dir = mkdtempSync(join(tmpdir(), 'callctl-cli-security-'));
    writeFileSync(
      join(dir, 'tokens'),
      `reader sha256:${createHash('sha256').update(READER_TOKEN).digest('hex')} calls:read\n`,
    );
    db = await createTestDatabase();
    nats = await startNatsServer({
      config: `authorization { user: "${NATS_AUTH.user}", password: "${NATS_AUTH.password}" }\n`,
    });
    const port = await freePort();
    server = `127.0.0.1:${port}`;
    baseEnv = { CALLCTL_SERVER: server, CALLCTL_CA_FILE: ca.caFile };
    orchestrator = startProcess(process.execPath, [ORCHESTRATOR], {
      env: orchestratorEnv(port, ca.issue('api.callctl.test')),
    });
    await waitFor(
      'call-orchestrator listening',
      async () => {
        if (orchestrator.child.exitCode !== null)
          throw new Error(`orchestrator exited: ${orchestrator.output()}`);
        const listed = await runCallctl(['list', '--timeout', '1s'], {
          ...baseEnv,
          CALLCTL_TOKEN: READER_TOKEN,
        });
        return listed.code === 0;
      },
      30_000,
      200,
    );
  });

  afterAll(async () => {
    await orchestrator?.stop();
    await nats?.stop();
    await db?.drop();
    ca?.remove();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it('works with --token and --ca-file', async () => {
    const flags = ['--server', server, '--ca-file', ca.caFile, '--token', READER_TOKEN];
    expect(await runCallctl(['list', ...flags])).toMatchObject({ code: 0, stderr: '' });
    const got = await runCallctl(['get', 'no-such-call', ...flags]);
    expect(got.code).toBe(1);
    expect(got.stderr).toMatch(/^error: NOT_FOUND: /);
  });

  it('says UNAUTHENTICATED without a token, and PERMISSION_DENIED for a method outside its scopes', async () => {
    const anonymous = await runCallctl(['list'], baseEnv);
    expect(anonymous.code).toBe(1);
    expect(anonymous.stderr).toBe(
      'error: UNAUTHENTICATED: missing credentials: send "authorization: Bearer <token>"\n',
    );
    const reader = await runCallctl(['hangup', 'c1'], { ...baseEnv, CALLCTL_TOKEN: READER_TOKEN });
    expect(reader.code).toBe(1);
    expect(reader.stderr).toContain(
      'PERMISSION_DENIED: /callctl.v1.CallControl/Hangup needs scope calls:write',
    );
  });

  it('does not get in over plaintext', async () => {
    const plain = await runCallctl(['list', '--timeout', '2s'], {
      CALLCTL_SERVER: server,
      CALLCTL_TOKEN: READER_TOKEN,
    });
    expect(plain.code).toBe(1);
    expect(plain.stderr).toMatch(/^error: UNAVAILABLE: /);
  });

  it('refuses a CA file it cannot read as a command-line mistake', async () => {
    const missing = await runCallctl(['list', '--ca-file', join(dir, 'absent.pem')], {
      CALLCTL_SERVER: server,
    });
    expect(missing.code).toBe(2);
    expect(missing.stderr).toContain(`cannot read "${join(dir, 'absent.pem')}": ENOENT`);
  });

  it('the orchestrator refuses to start with API_AUTH=none on a non-loopback address (exit 78)', async () => {
    const refused = startProcess(process.execPath, [ORCHESTRATOR], {
      env: { ...orchestratorEnv(await freePort(), ca.issue('x')), API_AUTH: 'none', GRPC_HOST: '0.0.0.0' },
    });
    const code = await exitCodeOf(refused);
    expect(code).toBe(78);
    expect(refused.output()).toContain(
      'API_AUTH: none would serve the API to anyone who reaches GRPC_HOST=0.0.0.0',
    );
  });

  it('the orchestrator does not start against that NATS without its credentials', async () => {
    const env = {
      ...orchestratorEnv(await freePort(), ca.issue('y')),
      NATS_USER: undefined,
      NATS_PASSWORD: undefined,
    };
    const refused = startProcess(process.execPath, [ORCHESTRATOR], { env });
    const code = await exitCodeOf(refused);
    expect(code).toBe(1);
    expect(refused.output()).toMatch(/start failed: .*authorization/i);
  });
});
