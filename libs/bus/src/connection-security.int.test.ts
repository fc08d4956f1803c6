// connectBus against real nats-servers that require credentials or TLS (config files written here): the
// right credentials connect, none or wrong ones are refused.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { nkeys } from '@nats-io/nats-core';
import {
  makeCertificateAuthority,
  startNatsServer,
  type NatsServerFixture,
  type TestCertificateAuthority,
} from '@callctl/testing';
import { connectBus, type BusSecurity } from './connection.js';

/** Connects, round-trips one request to prove the connection works, and closes; or rejects. */
async function roundTrip(url: string, security?: BusSecurity): Promise<'connected'> {
  const nc = await connectBus({
    servers: url,
    name: 'security-test',
    connectTimeoutMs: 3000,
    ...(security ? { security } : {}),
  });
  try {
    await nc.flush();
    return 'connected';
  } finally {
    await nc.close();
  }
}

describe('connectBus to a NATS with user and password', () => {
  let nats: NatsServerFixture;
  beforeAll(async () => {
    nats = await startNatsServer({ config: 'authorization { user: "callctl", password: "s3cret-pass" }\n' });
  });
  afterAll(() => nats?.stop());

  it('connects with NATS_USER and NATS_PASSWORD', async () => {
    await expect(roundTrip(nats.url, { user: 'callctl', password: 's3cret-pass' })).resolves.toBe(
      'connected',
    );
  });

  it('is refused without credentials', async () => {
    await expect(roundTrip(nats.url)).rejects.toThrow(/authorization/i);
  });

  it('is refused with a wrong password', async () => {
    await expect(roundTrip(nats.url, { user: 'callctl', password: 'guess' })).rejects.toThrow(
      /authorization/i,
    );
  });
});

describe('connectBus to a NATS with an nkey user', () => {
  const user = nkeys.createUser();
  let nats: NatsServerFixture;
  const dir = mkdtempSync(join(tmpdir(), 'callctl-nkey-'));
  let seedFile: string;
  beforeAll(async () => {
    seedFile = join(dir, 'nkey.seed');
    writeFileSync(seedFile, `${new TextDecoder().decode(user.getSeed())}\n`);
    nats = await startNatsServer({
      config: `authorization { users: [ { nkey: "${user.getPublicKey()}" } ] }\n`,
    });
  });
  afterAll(async () => {
    await nats?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  it('connects with NATS_NKEY_SEED_FILE', async () => {
    await expect(roundTrip(nats.url, { nkeySeedFile: seedFile })).resolves.toBe('connected');
  });

  it("is refused with another user's seed", async () => {
    const other = join(dir, 'other.seed');
    writeFileSync(other, new TextDecoder().decode(nkeys.createUser().getSeed()));
    await expect(roundTrip(nats.url, { nkeySeedFile: other })).rejects.toThrow(/authorization/i);
  });
});

describe('connectBus to a NATS that requires TLS and client certificates', () => {
  let ca: TestCertificateAuthority;
  let nats: NatsServerFixture;
  let client: { certFile: string; keyFile: string };
  beforeAll(async () => {
    ca = makeCertificateAuthority('nats-ca');
    const server = ca.issue('nats');
    client = ca.issue('sip-edge');
    nats = await startNatsServer({
      config: `tls {\n  cert_file: "${server.certFile}"\n  key_file: "${server.keyFile}"\n  ca_file: "${ca.caFile}"\n  verify: true\n}\n`,
    });
  });
  afterAll(async () => {
    await nats?.stop();
    ca?.remove();
  });

  it('connects with NATS_TLS_CA_FILE and a client certificate', async () => {
    await expect(roundTrip(nats.url, { tls: { caFile: ca.caFile, ...client } })).resolves.toBe('connected');
  });

  it('does not trust the server without NATS_TLS_CA_FILE', async () => {
    // nats.js upgrades to TLS when the server requires it, but cannot verify a private CA's certificate.
    await expect(roundTrip(nats.url)).rejects.toThrow(/unable to verify/i);
  });

  it('is refused with TLS but no client certificate', async () => {
    // The server ends the handshake; nats.js reports the connect as timed out.
    await expect(roundTrip(nats.url, { tls: { caFile: ca.caFile } })).rejects.toThrow(/timeout|certificate/i);
  });
});
