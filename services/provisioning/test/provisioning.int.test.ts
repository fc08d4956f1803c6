// The provisioning service as a whole against the real PostgreSQL (a copy of the migrated template) and a
// real nats-server: what a client sees through callctl.v1.Provisioning, what every sip-edge sees in the KV
// bucket, what the audit says, and that the bucket heals from the record.
import { createHash, randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { status } from '@grpc/grpc-js';
import { jetstream } from '@nats-io/jetstream';
import { Kvm, type KV } from '@nats-io/kv';
import { advertiseInstance, connectBus, type Advertisement, type NatsConnection } from '@callctl/bus';
import { createProvisioningClient, NO_RETRIES, type ProvisioningClient } from '@callctl/client';
import { createLogger } from '@callctl/logging';
import { provisioning } from '@callctl/proto';
import {
  domainKey,
  openBindingStore,
  openTrunkStatusStore,
  openSecret,
  parseSecretsKey,
  PROVISIONING_BUCKET,
  routeKey,
  trunkKey,
  userKey,
  type DomainView,
  type TrunkView,
  type UserView,
} from '@callctl/provisioning';
import { tokenHash } from '@callctl/service';
import {
  createTestDatabase,
  startNatsServer,
  type NatsServerFixture,
  type TestDatabase,
} from '@callctl/testing';
import { openKvModelPublisher } from '../src/adapters/kv/kv-model-publisher.js';
import { readConfig } from '../src/config.js';
import { startProvisioning, type RunningProvisioning } from '../src/provisioning-server.js';

const log = createLogger({ service: 'provisioning-test', level: 'silent' });
const SECRETS_KEY = randomBytes(32).toString('base64');
const TOKENS = { admin: randomBytes(16).toString('hex'), reader: randomBytes(16).toString('hex') };

let db: TestDatabase;
let nats: NatsServerFixture;
let nc: NatsConnection;
let kv: KV;
let dir: string;
let open: RunningProvisioning;
let secured: RunningProvisioning;
let client: ProvisioningClient;
let admin: ProvisioningClient;
let reader: ProvisioningClient;

const start = (extra: Record<string, string> = {}) =>
  startProvisioning(
    readConfig({
      DATABASE_URL: db.url,
      NATS_URL: nats.url,
      GRPC_PORT: '0',
      PROVISIONING_SECRETS_KEY: SECRETS_KEY,
      ...extra,
    }),
    log,
  );
const clientOf = (port: number, token?: string) =>
  createProvisioningClient({
    address: `127.0.0.1:${port}`,
    deadlineMs: 5000,
    retry: NO_RETRIES,
    ...(token ? { token } : {}),
  });

beforeAll(async () => {
  [db, nats] = await Promise.all([createTestDatabase(), startNatsServer()]);
  nc = await connectBus({ servers: nats.url, name: 'provisioning-test' });
  open = await start();
  dir = mkdtempSync(join(tmpdir(), 'provisioning-test-'));
  const tokensFile = join(dir, 'tokens');
  writeFileSync(
    tokensFile,
    [
      `ops-admin sha256:${tokenHash(TOKENS.admin)} provisioning:read,provisioning:write`,
      `ops-reader sha256:${tokenHash(TOKENS.reader)} provisioning:read`,
    ].join('\n'),
  );
  secured = await start({ API_AUTH: 'token', API_TOKENS_FILE: tokensFile });
  client = clientOf(open.grpc.port);
  admin = clientOf(secured.grpc.port, TOKENS.admin);
  reader = clientOf(secured.grpc.port, TOKENS.reader);
  kv = await new Kvm(jetstream(nc)).open(PROVISIONING_BUCKET);
}, 60_000);

afterAll(async () => {
  for (const c of [client, admin, reader]) c?.close();
  await secured?.close();
  await open?.close();
  await nc?.drain();
  await nats?.stop();
  await db?.drop();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

const published = async <T>(key: string): Promise<T | undefined> => {
  const entry = await kv.get(key);
  return entry && entry.operation === 'PUT' ? (entry.json<T>() as T) : undefined;
};
const refusal = (promise: Promise<unknown>) =>
  promise.then(
    () => ({ code: status.OK, details: '' }),
    (error: { status: number; details: string }) => ({ code: error.status, details: error.details }),
  );
const hex = (algorithm: string, text: string) => createHash(algorithm).update(text).digest('hex');

const carrier = (name: string): provisioning.DeepPartial<provisioning.Trunk> => ({
  name,
  inboundSources: ['192.0.2.10', '198.51.100.0/24'],
  gateways: [
    { host: 'gw1.carrier.example', priority: 0 },
    { host: '192.0.2.11', port: 5080, transport: provisioning.SipTransport.SIP_TRANSPORT_TCP, priority: 1 },
  ],
  outboundAuth: { username: 'acct-7', password: 'carrier-secret-1' },
  numberPatterns: ['+4420*'],
});

describe('trunks', () => {
  it('stores a trunk, publishes its view with the password sealed, and never returns the password', async () => {
    const put = await client.putTrunk({ trunk: carrier('carrier-a') });
    expect(put.created).toBe(true);
    expect(put.trunk?.outboundAuth).toEqual({ username: 'acct-7', password: '', hasPassword: true });
    expect(put.trunk?.gateways.map((g) => [g.host, g.port])).toEqual([
      ['gw1.carrier.example', 5060],
      ['192.0.2.11', 5080],
    ]);
    const view = await published<TrunkView>(trunkKey('carrier-a'));
    expect(view?.inboundSources).toEqual(['192.0.2.10/32', '198.51.100.0/24']);
    expect(view?.outboundAuth?.sealedPassword).not.toContain('carrier-secret-1');
    expect(openSecret(parseSecretsKey(SECRETS_KEY), view!.outboundAuth!.sealedPassword)).toBe(
      'carrier-secret-1',
    );
  });

  it('keeps the stored password when a replacement leaves it empty', async () => {
    await client.putTrunk({ trunk: carrier('carrier-b') });
    const before = await published<TrunkView>(trunkKey('carrier-b'));
    const again = await client.putTrunk({
      trunk: { ...carrier('carrier-b'), outboundAuth: { username: 'acct-7', password: '' } },
    });
    expect(again.created).toBe(false);
    const after = await published<TrunkView>(trunkKey('carrier-b'));
    expect(after?.outboundAuth?.sealedPassword).toBe(before?.outboundAuth?.sealedPassword);
  });

  it('refuses malformed fields with INVALID_ARGUMENT naming the field, storing nothing', async () => {
    const cases: Array<[provisioning.DeepPartial<provisioning.Trunk>, string]> = [
      [{ ...carrier('Bad_Name') }, 'trunk.name'],
      [{ ...carrier('t1'), inboundSources: ['10.0.0.300'] }, 'trunk.inbound_sources[0]'],
      [{ ...carrier('t1'), gateways: [{ host: 'bad host' }] }, 'trunk.gateways[0].host'],
      [{ ...carrier('t1'), gateways: [{ host: 'gw', port: 70000 }] }, 'trunk.gateways[0].port'],
      [{ ...carrier('t1'), numberPatterns: ['44x*'] }, 'trunk.number_patterns[0]'],
      [{ ...carrier('t1'), registration: { enabled: true } }, 'trunk.registration.aor'],
      [{ ...carrier('t1'), callerId: { fromNumber: 'abc' } }, 'trunk.caller_id.from_number'],
      [{ name: 't1' }, 'trunk'],
    ];
    for (const [trunk, field] of cases) {
      const { code, details } = await refusal(client.putTrunk({ trunk }));
      expect({ field, code, starts: details.startsWith(`${field}:`) }).toEqual({
        field,
        code: status.INVALID_ARGUMENT,
        starts: true,
      });
    }
    expect(await published(trunkKey('t1'))).toBeUndefined();
    expect((await client.listTrunks({})).trunks.map((t) => t.name)).not.toContain('t1');
  });

  it('gives the registration status of a registering trunk (unregistered until a sip-edge says more)', async () => {
    await client.putTrunk({
      trunk: {
        ...carrier('carrier-reg'),
        registration: { enabled: true, aor: 'sip:platform@carrier.example' },
      },
    });
    const { trunk } = await client.getTrunk({ name: 'carrier-reg' });
    expect(trunk?.registration).toMatchObject({
      enabled: true,
      registrarUri: 'sip:gw1.carrier.example:5060',
      expiresS: 3600,
      contactUser: 'carrier-reg',
    });
    expect(trunk?.registrationStatus?.state).toBe(
      provisioning.RegistrationState.REGISTRATION_STATE_UNREGISTERED,
    );
    expect((await refusal(client.getTrunk({ name: 'nope' }))).code).toBe(status.NOT_FOUND);
  });

  it('gives the status the registering sip-edge wrote: registered until when, by which instance', async () => {
    const statuses = await openTrunkStatusStore(nc);
    const expiresAtMs = Date.now() + 300_000;
    await statuses.put({
      trunk: 'carrier-reg',
      state: 'failing',
      lastStatus: 403,
      lastReason: 'Forbidden',
      nextAttemptAtMs: expiresAtMs,
      instance: 'edge-7',
      updatedAtMs: Date.now(),
    });
    const { trunk } = await client.getTrunk({ name: 'carrier-reg' });
    expect(trunk?.registrationStatus).toMatchObject({
      state: provisioning.RegistrationState.REGISTRATION_STATE_FAILING,
      lastStatus: 403,
      lastReason: 'Forbidden',
      nextAttemptAt: new Date(expiresAtMs),
      instance: 'edge-7',
    });
  });
});

describe('domains and users', () => {
  it('stores only HA1 hashes for the domain realm, and publishes them', async () => {
    await client.putDomain({ domain: { name: 'Pbx.Example.com' } });
    const put = await client.putUser({
      user: {
        domain: 'pbx.example.com',
        username: 'alice',
        password: 'alice-password',
        allowedCodecs: ['PCMU'],
      },
    });
    expect(put.created).toBe(true);
    expect(put.user?.password).toBe('');
    const view = await published<UserView>(userKey('pbx.example.com', 'alice'));
    expect(view?.ha1Md5).toBe(hex('md5', 'alice:pbx.example.com:alice-password'));
    expect(view?.ha1Sha256).toBe(hex('sha256', 'alice:pbx.example.com:alice-password'));
    expect(JSON.stringify(view)).not.toContain('alice-password');
    expect(await published(domainKey('pbx.example.com'))).toMatchObject({ name: 'pbx.example.com' });
  });

  it('refuses a user of an unknown domain, a bad user part and a short password', async () => {
    expect(
      await refusal(
        client.putUser({ user: { domain: 'nowhere.example', username: 'bob', password: 'long-enough' } }),
      ),
    ).toMatchObject({ code: status.FAILED_PRECONDITION });
    expect(
      await refusal(
        client.putUser({ user: { domain: 'pbx.example.com', username: 'b@b', password: 'long-enough' } }),
      ),
    ).toMatchObject({ code: status.INVALID_ARGUMENT, details: expect.stringMatching(/^user\.username:/) });
    expect(
      await refusal(
        client.putUser({ user: { domain: 'pbx.example.com', username: 'bob', password: 'short' } }),
      ),
    ).toMatchObject({ code: status.INVALID_ARGUMENT, details: expect.stringMatching(/^user\.password:/) });
    expect(
      await refusal(client.putUser({ user: { domain: 'pbx.example.com', username: 'carol' } })),
    ).toMatchObject({ code: status.INVALID_ARGUMENT, details: expect.stringMatching(/^user\.password:/) });
  });

  it('refuses to delete a domain that still has users', async () => {
    await client.putDomain({ domain: { name: 'busy.example' } });
    await client.putUser({ user: { domain: 'busy.example', username: 'u1', password: 'password-1' } });
    expect((await refusal(client.deleteDomain({ name: 'busy.example' }))).code).toBe(
      status.FAILED_PRECONDITION,
    );
    await client.deleteUser({ domain: 'busy.example', username: 'u1' });
    await client.deleteDomain({ name: 'busy.example' });
    expect(await published(userKey('busy.example', 'u1'))).toBeUndefined();
    expect(await published(domainKey('busy.example'))).toBeUndefined();
  });

  it("lists a user's bindings from the registrar's store", async () => {
    const bindings = await openBindingStore(nc);
    await bindings.put({
      aor: 'sip:alice@pbx.example.com',
      contactUri: 'sip:alice@192.0.2.50:5062',
      expiresAtMs: Date.now() + 60_000,
      callId: 'c1',
      cseq: 1,
      transport: 'udp',
      sourceAddress: '192.0.2.50',
      sourcePort: 5062,
      userAgent: 'test-phone',
      instance: 'sip-edge-1',
    });
    const { bindings: listed } = await client.listRegistrations({
      domain: 'pbx.example.com',
      username: 'alice',
    });
    expect(listed.map((b) => [b.contactUri, b.sourcePort, b.instance])).toEqual([
      ['sip:alice@192.0.2.50:5062', 5062, 'sip-edge-1'],
    ]);
  });
});

describe('routes', () => {
  it('routes a number to a trunk and keeps the trunk while a route uses it', async () => {
    await client.putTrunk({ trunk: carrier('carrier-r') });
    expect(
      (await refusal(client.putRoute({ route: { name: 'uk', pattern: '+44*', trunk: 'missing' } }))).code,
    ).toBe(status.FAILED_PRECONDITION);
    await client.putRoute({ route: { name: 'us', pattern: '+1*', trunk: 'carrier-r' } });
    expect(await published(routeKey('us'))).toMatchObject({ pattern: '+1*', trunk: 'carrier-r' });
    const resolved = await client.resolveRoute({ target: 'tel:+12125550100' });
    expect(resolved).toMatchObject({
      kind: provisioning.ResolveRouteResponse_Kind.KIND_TRUNK,
      trunk: 'carrier-r',
    });
    expect(resolved.gateways.map((g) => g.host)).toEqual(['gw1.carrier.example', '192.0.2.11']);
    expect((await refusal(client.deleteTrunk({ name: 'carrier-r' }))).code).toBe(status.FAILED_PRECONDITION);
    await client.deleteRoute({ name: 'us' });
    await client.deleteTrunk({ name: 'carrier-r' });
    expect(await published(trunkKey('carrier-r'))).toBeUndefined();
  });

  it('refuses a malformed pattern naming route.pattern', async () => {
    const { code, details } = await refusal(
      client.putRoute({ route: { name: 'x', pattern: 'abc', trunk: 'carrier-a' } }),
    );
    expect(code).toBe(status.INVALID_ARGUMENT);
    expect(details).toMatch(/^route\.pattern:/);
  });
});

describe('audit', () => {
  it('records who changed what, newest first, with secrets and hashes redacted', async () => {
    await client.putTrunk({ trunk: carrier('audited') });
    await client.deleteTrunk({ name: 'audited' });
    const { entries } = await client.listAudit({ kind: 'trunk', key: 'audited' });
    expect(entries.map((e) => [e.action, e.actor])).toEqual([
      ['delete', 'anonymous'],
      ['put', 'anonymous'],
    ]);
    expect(entries[1]?.beforeJson).toBe('');
    expect(JSON.parse(entries[1]!.afterJson)).toMatchObject({
      outboundAuth: { sealedPassword: '[redacted]' },
    });
    const users = await client.listAudit({ kind: 'user' });
    for (const e of users.entries) expect(e.afterJson + e.beforeJson).not.toMatch(/[0-9a-f]{32}/);
  });

  it('names the API principal when the port authenticates, and refuses changes without the write scope', async () => {
    await admin.putDomain({ domain: { name: 'secured.example' } });
    const { entries } = await admin.listAudit({ kind: 'domain', key: 'secured.example', limit: 1 });
    expect(entries[0]?.actor).toBe('ops-admin');
    expect((await refusal(reader.putDomain({ domain: { name: 'x.example' } }))).code).toBe(
      status.PERMISSION_DENIED,
    );
    expect((await reader.listDomains({})).domains.map((d) => d.name)).toContain('secured.example');
  });

  it('takes no actor name from the caller: a claimed principal is replaced, or ignored without auth', async () => {
    const claim = { metadata: { 'x-callctl-principal': 'someone-else' } };
    await admin.putDomain({ domain: { name: 'claimed.example' } }, claim);
    await client.putDomain({ domain: { name: 'claimed-open.example' } }, claim);
    const actorOf = async (key: string) =>
      (await client.listAudit({ kind: 'domain', key, limit: 1 })).entries[0]?.actor;
    expect(await actorOf('claimed.example')).toBe('ops-admin');
    expect(await actorOf('claimed-open.example')).toBe('anonymous');
  });
});

describe('the published model', () => {
  it('heals the bucket from PostgreSQL: a lost put comes back, a stray key goes', async () => {
    await client.putDomain({ domain: { name: 'heal.example' } });
    await kv.delete(domainKey('heal.example'));
    await kv.put(domainKey('stray.example'), JSON.stringify({ name: 'stray.example', updatedAtMs: 0 }));
    const outcome = await open.reconciler.run();
    expect(outcome).toEqual({ put: 1, deleted: 1 });
    expect(await published(domainKey('heal.example'))).toMatchObject({ name: 'heal.example' });
    expect(await published(domainKey('stray.example'))).toBeUndefined();
    expect(await open.reconciler.run()).toEqual({ put: 0, deleted: 0 });
  });

  it('never overwrites a value written after it read the bucket (another replica publishing)', async () => {
    const publisher = await openKvModelPublisher({ nc, timeoutMs: 5000 });
    const key = domainKey('raced.example');
    await kv.put(key, '{"stale":true}');
    const read = (await publisher.entries()).get(key)!;
    await kv.put(key, '{"newer":true}');
    expect(await publisher.putIfUnchanged(key, '{"reconciled":true}', read.revision)).toBe(false);
    expect(await publisher.deleteIfUnchanged(key, read.revision)).toBe(false);
    expect(await publisher.putIfUnchanged(key, '{"first":true}', undefined)).toBe(false);
    expect(await published(key)).toEqual({ newer: true });
    await kv.delete(key);
  });

  it('never replaces a newer view with an older one (two replicas publishing out of order)', async () => {
    const publisher = await openKvModelPublisher({ nc, timeoutMs: 5000 });
    const key = domainKey('ordered.example');
    const view = (updatedAtMs: number): DomainView => ({ name: 'ordered.example', updatedAtMs });
    await publisher.putView(key, view(2000));
    await publisher.putView(key, view(1000));
    expect(await published(key)).toMatchObject({ updatedAtMs: 2000 });
    await publisher.putView(key, view(3000));
    expect(await published(key)).toMatchObject({ updatedAtMs: 3000 });
    await kv.delete(key);
  });
});

describe('GetMediaResources', () => {
  it('lists the SIP listeners and media ranges the live instances announce', async () => {
    const announced: Advertisement[] = [
      await advertiseInstance({
        nc,
        kind: 'sip-edge',
        name: 'edge-a',
        address: '127.0.0.1:1',
        resources: () => ({ sip: [{ transport: 'udp', host: '192.0.2.5', port: 5060 }] }),
      }),
      await advertiseInstance({
        nc,
        kind: 'media-worker',
        name: 'media-a',
        address: '127.0.0.1:2',
        resources: () => ({ media: [{ address: '192.0.2.6', portMin: 40000, portMax: 44999 }] }),
      }),
    ];
    try {
      let resources: provisioning.GetMediaResourcesResponse = { signalling: [], media: [] };
      for (let i = 0; i < 50 && resources.media.length === 0; i++) {
        resources = await client.getMediaResources({});
        if (resources.media.length === 0) await new Promise((r) => setTimeout(r, 100));
      }
      expect(resources.signalling).toEqual([
        {
          instance: 'edge-a',
          transport: provisioning.SipTransport.SIP_TRANSPORT_UDP,
          host: '192.0.2.5',
          port: 5060,
        },
      ]);
      expect(resources.media).toEqual([
        { instance: 'media-a', address: '192.0.2.6', portMin: 40000, portMax: 44999 },
      ]);
    } finally {
      for (const a of announced) await a.close();
    }
  });
});
