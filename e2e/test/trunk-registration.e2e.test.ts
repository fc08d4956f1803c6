// Registration to providers (issue 19), with Kamailio as the provider: sip-edge (a process, on the SIP
// engine) registers each trunk that asks for it with digest (MD5, SHA-256), keeps it refreshed within the
// expiry the provider grants, backs off on a refusal, un-registers when the trunk's registration goes and at
// shutdown. What the provider sees is read from Kamailio itself (its location table and counters); what the
// platform says from CALLCTL_TRUNK_REGISTRATIONS and trunks.<name>.registration.
import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import { Kvm, type KV } from '@nats-io/kv';
import {
  connectBus,
  subscribeMessages,
  TRUNK_REGISTRATION_SUBJECTS,
  type NatsConnection,
} from '@callctl/bus';
import { provisioning } from '@callctl/proto';
import {
  openBindingStore,
  openTrunkStatusStore,
  parseSecretsKey,
  PROVISIONING_BUCKET,
  sealSecret,
  trunkKey,
  trunkStatusKey,
  TRUNK_REGISTRATIONS_BUCKET,
  type TrunkRegistrationStatusView,
  type TrunkStatusStore,
  type TrunkView,
} from '@callctl/provisioning';
import {
  runSipp,
  startKamailioGateway,
  startKamailioRegistrar,
  startKamailioUacRegistration,
  waitFor,
  type KamailioRegistrar,
} from '@callctl/testing';
import { startEdgeUnderTest, type EdgeUnderTest } from '../support/edge-under-test.js';
import { provisionDomain, provisionUser } from '../support/provisioning-kv.js';
import { startSipEdgeProcess, startSipEngine } from '../support/services.js';

jest.setTimeout(90_000);

const SCENARIOS = join(__dirname, '..', 'scenarios');
const SECRETS_KEY = randomBytes(32).toString('base64');
const RETRY_MIN_MS = 400;
const RETRY_MAX_MS = 1600;
const { RegistrationState } = provisioning;

describe('trunk registration to a provider (Kamailio registrar)', () => {
  let t: EdgeUnderTest;
  let nc: NatsConnection;
  let trunks: KV;
  let statusKv: KV;
  let status: TrunkStatusStore;
  const changes: provisioning.TrunkRegistrationChanged[] = [];
  const registrars: KamailioRegistrar[] = [];

  beforeAll(async () => {
    t = await startEdgeUnderTest({
      answerTimeoutMs: 1000,
      env: {
        PROVISIONING_SECRETS_KEY: SECRETS_KEY,
        TRUNK_REGISTER_RETRY_MIN_MS: String(RETRY_MIN_MS),
        TRUNK_REGISTER_RETRY_MAX_MS: String(RETRY_MAX_MS),
        GATEWAY_ATTEMPT_TIMEOUT_MS: '3000',
        // Kamailio 5.6's uac_reg reads the first challenge only and speaks MD5 only.
        DIGEST_ALGORITHMS: 'MD5,SHA-256',
      },
    });
    nc = await connectBus({ servers: t.nats.url, name: 'trunk-registration-e2e' });
    const kvm = new Kvm(nc);
    // sip-edge made both buckets at start.
    trunks = await kvm.open(PROVISIONING_BUCKET);
    statusKv = await kvm.open(TRUNK_REGISTRATIONS_BUCKET);
    status = await openTrunkStatusStore(nc);
    const subscription = subscribeMessages(
      nc,
      TRUNK_REGISTRATION_SUBJECTS,
      provisioning.TrunkRegistrationChanged,
    );
    void (async () => {
      for await (const message of subscription) changes.push(message.data);
    })();
    await nc.flush();
  });
  afterAll(async () => {
    for (const registrar of registrars) await registrar.stop();
    await nc?.close();
    await t?.close();
  });

  const registrar = async (options: Parameters<typeof startKamailioRegistrar>[0]) => {
    const started = await startKamailioRegistrar(options);
    registrars.push(started);
    return started;
  };

  /** What the provisioning service would publish for a trunk registering to `at` as `user`. */
  const putTrunk = async (
    name: string,
    at: { port: number; uri: string },
    user: string,
    password: string,
    registrarUri = at.uri,
  ) => {
    const view: TrunkView = {
      name,
      inboundSources: [],
      gateways: [{ host: '127.0.0.1', port: at.port, transport: 'udp', priority: 1, weight: 1 }],
      outboundAuth: { username: user, sealedPassword: sealSecret(parseSecretsKey(SECRETS_KEY), password) },
      registration: {
        registrarUri,
        aor: `sip:${user}@provider.test`,
        expiresS: 3600,
        contactUser: `${name}-contact`,
      },
      numberPatterns: [],
      callerId: { fromNumber: '', fromDomain: '', stripPlus: false, prefix: '' },
      updatedAtMs: Date.now(),
    };
    await trunks.put(trunkKey(name), JSON.stringify(view));
    return view;
  };

  const statusIs = (name: string, state: TrunkRegistrationStatusView['state']) =>
    waitFor(
      `trunk ${name} ${state}`,
      async () => {
        const current = await status.get(name);
        return current?.state === state && current;
      },
      15_000,
      50,
    );

  /** The contact sip-edge registers for a trunk: its contact user at the engine's UDP address. */
  const contactOf = (name: string) => `sip:${name}-contact@127.0.0.1:${t.engine.sipPort}`;

  describe.each(['MD5', 'SHA-256'] as const)('with %s digest', (algorithm) => {
    const name = `acme-${algorithm.toLowerCase().replace('-', '')}`;
    let provider: KamailioRegistrar;

    beforeAll(async () => {
      // The provider grants 4 s whatever is asked: refreshes every 2 s.
      provider = await registrar({
        realm: 'provider.test',
        users: [{ username: `${name}-user`, password: 'carrier-secret' }],
        algorithm,
        maxExpiresS: 4,
      });
      await putTrunk(name, provider, `${name}-user`, 'carrier-secret');
    });

    it('registers: the provider holds the trunk contact, and the status and events say so', async () => {
      const registered = await statusIs(name, 'registered');
      expect(registered).toMatchObject({ lastStatus: 200, instance: 'sip-edge' });
      expect(registered.expiresAtMs! - registered.updatedAtMs).toBe(4000);
      expect(await provider.contacts()).toEqual([
        expect.objectContaining({ aor: `${name}-user`, address: contactOf(name) }),
      ]);
      const states = changes.filter((c) => c.trunk === name).map((c) => c.status?.state);
      expect(states.slice(0, 2)).toEqual([
        RegistrationState.REGISTRATION_STATE_REGISTERING,
        RegistrationState.REGISTRATION_STATE_REGISTERED,
      ]);
    });

    it('refreshes at about half the granted expiry, so the contact never lapses', async () => {
      const first = (await provider.contacts())[0]!;
      const acceptedBefore = (await provider.registerCounts()).accepted;
      const startedAt = Date.now();
      await waitFor(
        'two refreshes',
        async () => (await provider.registerCounts()).accepted >= acceptedBefore + 2,
        10_000,
        100,
      );
      const elapsedMs = Date.now() - startedAt;
      // Two refreshes 2 s apart: not faster than the policy says, and the contact was there all along.
      expect(elapsedMs).toBeGreaterThan(2000);
      expect(elapsedMs).toBeLessThan(6000);
      const now = (await provider.contacts())[0]!;
      expect(now).toMatchObject({ address: contactOf(name), callId: first.callId });
      expect(now.cseq).toBeGreaterThan(first.cseq);
      expect((await status.get(name))?.state).toBe('registered');
    });

    it('routes an INVITE for the AOR to the registered contact, where sip-edge takes it as the trunk call', async () => {
      // The provider's caller dials the AOR; Kamailio's lookup rewrites the Request-URI to our contact.
      const call = runSipp({
        scenario: join(SCENARIOS, 'uac-expect-480.xml'),
        remote: `127.0.0.1:${provider.port}`,
        service: `${name}-user`,
        timeoutMs: 15_000,
        // No media flows: the call is refused once offered (port 9, discard).
        args: ['-key', 'rtp_port', '9'],
      });
      const offered = await t.fact('inboundCallOffered', (f) =>
        f.fact?.$case === 'inboundCallOffered'
          ? f.fact.inboundCallOffered.toUri.includes(`sip:${name}-user@`)
          : false,
      );
      expect(offered.fact.inboundCallOffered.toUri).toBe(`sip:${name}-user@127.0.0.1:${provider.port}`);
      // Its Request-URI user is the trunk's contact user: the call is the trunk's.
      expect(offered.fact.inboundCallOffered.trunk).toBe(name);
      t.expectSippSucceeded(await call);
    });

    it('un-registers when the trunk stops registering', async () => {
      await trunks.delete(trunkKey(name));
      await waitFor(
        'the contact removed at the provider',
        async () => (await provider.contacts()).length === 0,
        10_000,
        100,
      );
      expect((await statusIs(name, 'unregistered')).lastStatus).toBe(0);
      expect(changes.filter((c) => c.trunk === name).at(-1)?.status?.state).toBe(
        RegistrationState.REGISTRATION_STATE_UNREGISTERED,
      );
    });
  });

  it('a wrong password: failing with the 403, retried with a doubling backoff up to the maximum, until the password is mended', async () => {
    const name = 'acme-wrong';
    const provider = await registrar({
      realm: 'provider.test',
      users: [{ username: 'wrong-user', password: 'the-right-one' }],
      algorithm: 'SHA-256',
    });
    const seen: TrunkRegistrationStatusView[] = [];
    const watch = await statusKv.watch({ key: trunkStatusKey(name) });
    void (async () => {
      for await (const entry of watch)
        if (entry.operation === 'PUT') seen.push(entry.json<TrunkRegistrationStatusView>());
    })();
    await putTrunk(name, provider, 'wrong-user', 'not-the-password');
    const failures = () => seen.filter((s) => s.state === 'failing');
    await waitFor('four failed attempts', () => failures().length >= 4, 15_000, 50);
    watch.stop();
    expect(failures().map((s) => s.lastStatus)).toEqual([403, 403, 403, 403]);
    expect(failures().map((s) => s.nextAttemptAtMs! - s.updatedAtMs)).toEqual([400, 800, 1600, 1600]);
    // Each retry waited its backoff: the attempts' reports are at least that far apart.
    const reports = failures().map((s) => s.updatedAtMs);
    for (let i = 1; i < reports.length; i++)
      expect(reports[i]! - reports[i - 1]!).toBeGreaterThanOrEqual(
        Math.min(RETRY_MIN_MS * 2 ** (i - 1), RETRY_MAX_MS),
      );
    expect((await provider.registerCounts()).refused).toBeGreaterThanOrEqual(4);
    expect(await provider.contacts()).toEqual([]);
    const last = changes.filter((c) => c.trunk === name).at(-1);
    expect(last?.status).toMatchObject({
      state: RegistrationState.REGISTRATION_STATE_FAILING,
      lastStatus: 403,
    });
    // The provisioning change that mends the password is picked up at once: registered.
    await putTrunk(name, provider, 'wrong-user', 'the-right-one');
    expect(await statusIs(name, 'registered')).toMatchObject({ lastStatus: 200 });
    expect(await provider.contacts()).toHaveLength(1);
    await trunks.delete(trunkKey(name));
    await statusIs(name, 'unregistered');
  });

  it('registers over TCP when the registrar URI says so, with the engine TCP contact', async () => {
    const name = 'acme-tcp';
    const provider = await registrar({
      realm: 'provider.test',
      users: [{ username: 'tcp-user', password: 'pw' }],
      algorithm: 'SHA-256',
    });
    await putTrunk(name, provider, 'tcp-user', 'pw', `${provider.uri};transport=tcp`);
    await statusIs(name, 'registered');
    expect((await provider.contacts()).map((c) => c.address)).toEqual([
      `sip:${name}-contact@127.0.0.1:${t.engine.sipPort};transport=tcp`,
    ]);
    await trunks.delete(trunkKey(name));
    await waitFor(
      'un-registered over TCP',
      async () => (await provider.contacts()).length === 0,
      10_000,
      100,
    );
  });

  it('a provider answering 503: failing with that status, retried', async () => {
    const name = 'acme-503';
    const gateway = await startKamailioGateway();
    try {
      await putTrunk(name, gateway, 'any-user', 'pw');
      const failing = await statusIs(name, 'failing');
      expect(failing).toMatchObject({ lastStatus: 503, lastReason: 'Service Unavailable' });
      await waitFor('a retry', async () => (await gateway.received('REGISTER')) >= 2, 10_000, 100);
      await trunks.delete(trunkKey(name));
      await statusIs(name, 'unregistered');
    } finally {
      await gateway.stop();
    }
  });

  it("Kamailio's uac module registers to the platform's registrar, which keeps its binding", async () => {
    await provisionDomain(nc, 'platform.test');
    await provisionUser(nc, 'platform.test', 'kam-phone', 'phone-pw');
    const device = await startKamailioUacRegistration({
      registrar: { host: '127.0.0.1', port: t.engine.sipPort },
      domain: 'platform.test',
      username: 'kam-phone',
      password: 'phone-pw',
      expiresS: 120,
    });
    try {
      await waitFor(
        'the uac_reg record online',
        async () => (await device.state()).online,
        15_000,
        100,
      ).catch(async (error: unknown) => {
        const { detail } = await device.state();
        throw new Error(`${String(error)}\n${detail}\n${device.process.output().slice(-2000)}`);
      });
      const bindings = await (await openBindingStore(nc)).list('sip:kam-phone@platform.test', Date.now());
      expect(bindings).toEqual([
        expect.objectContaining({
          contactUri: device.contactUri,
          sourceAddress: '127.0.0.1',
          transport: 'udp',
        }),
      ]);
    } finally {
      await device.stop();
    }
  });

  it('un-registers at shutdown', async () => {
    const name = 'acme-shutdown';
    const provider = await registrar({
      realm: 'provider.test',
      users: [{ username: 'down-user', password: 'pw' }],
      algorithm: 'MD5',
    });
    await putTrunk(name, provider, 'down-user', 'pw');
    await statusIs(name, 'registered');
    expect(await provider.contacts()).toHaveLength(1);
    await t.sipEdge.stop();
    expect(await provider.contacts()).toEqual([]);
    expect((await status.get(name))?.state).toBe('unregistered');
  });

  it('one instance registers a trunk; another takes over once the holder dies and its lease ages out', async () => {
    const name = 'acme-lease';
    await t.restartSipEdge();
    const provider = await registrar({
      realm: 'provider.test',
      users: [{ username: 'lease-user', password: 'pw' }],
      algorithm: 'MD5',
      maxExpiresS: 4,
    });
    await putTrunk(name, provider, 'lease-user', 'pw');
    expect(await statusIs(name, 'registered')).toMatchObject({ instance: 'sip-edge' });
    const engineB = await startSipEngine();
    const edgeB = await startSipEdgeProcess({
      natsUrl: t.nats.url,
      engine: engineB,
      mediaWorkerGrpcPort: t.mediaWorker.grpcPort,
      env: {
        SIP_EDGE_INSTANCE: 'sip-edge-b',
        PROVISIONING_SECRETS_KEY: SECRETS_KEY,
        TRUNK_REGISTER_RETRY_MIN_MS: String(RETRY_MIN_MS),
      },
    });
    try {
      // B sees the trunk at start but not the lease: the provider keeps one contact, A's.
      await new Promise((resolve) => setTimeout(resolve, 2000));
      expect((await provider.contacts()).map((c) => c.address)).toEqual([contactOf(name)]);
      await t.sipEdge.kill();
      const takenOver = await waitFor(
        'instance B registered',
        async () => {
          const current = await status.get(name);
          return current?.instance === 'sip-edge-b' && current.state === 'registered' && current;
        },
        60_000,
        200,
      );
      expect(takenOver.lastStatus).toBe(200);
      // A's contact lapses at the provider (4 s, no refresh), B's stays.
      await waitFor(
        "only B's contact at the provider",
        async () => {
          const addresses = (await provider.contacts()).map((c) => c.address);
          return (
            addresses.length === 1 && addresses[0] === `sip:${name}-contact@127.0.0.1:${engineB.sipPort}`
          );
        },
        15_000,
        200,
      );
    } finally {
      await edgeB.stop();
      await engineB.stop();
    }
  });
});
