// Against a real nats-server: the local stack's (NATS_URL, as `eval "$(deploy/local/stack.sh env)"` sets
// it) or, without one, a private server for this file. Every test uses buckets of its own and destroys them.
import { startNatsServer, waitFor, type NatsServerFixture } from '@callctl/testing';
import { Kvm, type KV } from '@nats-io/kv';
import type { NatsConnection } from '@nats-io/nats-core';
import { connect } from '@nats-io/transport-node';
import { randomBytes } from 'node:crypto';
import { PROVISIONING_BUCKET, bindingKey, domainKey, routeKey, trunkKey, userKey } from './kv-layout';
import { openBindingStore, openTrunkStatusStore, watchProvisioning, type ProvisioningView } from './kv-view';
import type { BindingView, RouteView, TrunkView, UserView } from './model';

let server: NatsServerFixture | undefined;
let nc: NatsConnection;
const buckets: string[] = [];

beforeAll(async () => {
  let url = process.env.NATS_URL;
  if (url === undefined || url === '') {
    server = await startNatsServer();
    url = server.url;
  }
  nc = await connect({ servers: url, name: 'provisioning-kv-view-test', timeout: 5000 });
});

afterAll(async () => {
  const kvm = new Kvm(nc);
  for (const bucket of buckets) await (await kvm.open(bucket)).destroy().catch(() => undefined);
  await nc.drain();
  await server?.stop();
});

function bucketName(what: string): string {
  const name = `TEST_${what}_${randomBytes(6).toString('hex')}`;
  buckets.push(name);
  return name;
}

function trunkView(name: string, o: Partial<TrunkView> = {}): TrunkView {
  return {
    name,
    inboundSources: ['203.0.113.0/24'],
    gateways: [{ host: 'gw.example', port: 5060, transport: 'udp', priority: 0, weight: 1 }],
    numberPatterns: ['+44*'],
    callerId: { fromNumber: '', fromDomain: '', stripPlus: false, prefix: '' },
    updatedAtMs: 1,
    ...o,
  };
}
const aliceView: UserView = {
  domain: 'PBX.example.com',
  username: 'alice',
  displayName: 'Alice',
  ha1Md5: 'a'.repeat(32),
  ha1Sha256: 'b'.repeat(64),
  allowedCodecs: ['PCMU'],
  updatedAtMs: 1,
};
const routeView: RouteView = { name: 'uk', pattern: '+44*', trunk: 'carrier', priority: 0, updatedAtMs: 1 };

function recordingLog() {
  const warnings: Array<{ obj: object; msg: string }> = [];
  return { warnings, warn: (obj: object, msg: string) => void warnings.push({ obj, msg }) };
}

async function provisioningBucket(): Promise<{ bucket: string; kv: KV }> {
  const bucket = bucketName('PROV');
  return { bucket, kv: await new Kvm(nc).create(bucket) };
}

describe('watchProvisioning', () => {
  let view: ProvisioningView | undefined;
  afterEach(async () => {
    await view?.close();
    view = undefined;
  });

  it('is ready at once on an empty bucket, with an empty model', async () => {
    const { bucket } = await provisioningBucket();
    view = await watchProvisioning(nc, recordingLog(), { bucket });
    expect(view.snapshot().trunks.size).toBe(0);
    expect(view.platformDomains().size).toBe(0);
  });

  it('resolves with every value already in the bucket, skipping bad JSON (logged) and unknown kinds', async () => {
    const { bucket, kv } = await provisioningBucket();
    await kv.put(trunkKey('carrier'), JSON.stringify(trunkView('carrier')));
    await kv.put(trunkKey('old'), JSON.stringify(trunkView('old')));
    await kv.delete(trunkKey('old'));
    await kv.put(domainKey('PBX.example.com'), JSON.stringify({ name: 'PBX.example.com', updatedAtMs: 1 }));
    await kv.put(userKey('PBX.example.com', 'alice'), JSON.stringify(aliceView));
    await kv.put(
      userKey('pbx.example.com', 'bob smith'),
      JSON.stringify({ ...aliceView, username: 'bob smith' }),
    );
    await kv.put(routeKey('uk'), JSON.stringify(routeView));
    await kv.put(trunkKey('broken'), '{"name": "broken", ');
    await kv.put(routeKey('half'), JSON.stringify({ name: 'half' }));
    await kv.put('gadget.x', JSON.stringify({ from: 'a newer provisioning service' }));
    const log = recordingLog();

    view = await watchProvisioning(nc, log, { bucket });

    const snapshot = view.snapshot();
    expect([...snapshot.trunks.keys()]).toEqual(['carrier']);
    expect(snapshot.trunks.get('carrier')).toEqual(trunkView('carrier'));
    expect([...snapshot.users.keys()].sort()).toEqual(['alice@pbx.example.com', 'bob smith@pbx.example.com']);
    expect(snapshot.routes.get('uk')).toEqual(routeView);
    expect([...view.platformDomains()]).toEqual(['pbx.example.com']);
    expect(log.warnings.map((w) => w.msg).sort()).toEqual([
      'provisioning value is not JSON; skipped',
      'provisioning value lacks fields; skipped',
    ]);
  });

  it('folds each later change into a new snapshot and tells listeners, leaving old snapshots as they were', async () => {
    const { bucket, kv } = await provisioningBucket();
    await kv.put(trunkKey('carrier'), JSON.stringify(trunkView('carrier')));
    view = await watchProvisioning(nc, recordingLog(), { bucket });
    const before = view.snapshot();
    const changes: Array<[string, string]> = [];
    const unsubscribe = view.onChange((kind, key) => changes.push([kind, key]));

    await kv.put(trunkKey('carrier'), JSON.stringify(trunkView('carrier', { numberPatterns: ['+1*'] })));
    await kv.put(domainKey('Other.Example'), JSON.stringify({ name: 'Other.Example', updatedAtMs: 2 }));
    await waitFor('two changes', () => changes.length === 2);

    expect(changes).toEqual([
      ['trunk', trunkKey('carrier')],
      ['domain', domainKey('Other.Example')],
    ]);
    expect(view.snapshot().trunks.get('carrier')?.numberPatterns).toEqual(['+1*']);
    expect(view.platformDomains().has('other.example')).toBe(true);
    expect(before.trunks.get('carrier')?.numberPatterns).toEqual(['+44*']);
    expect(before.domains.size).toBe(0);

    await kv.delete(trunkKey('carrier'));
    await waitFor('the trunk deleted', () => view!.snapshot().trunks.size === 0);
    expect(changes).toHaveLength(3);

    unsubscribe();
    await kv.put(routeKey('uk'), JSON.stringify(routeView));
    await waitFor('the route', () => view!.snapshot().routes.has('uk'));
    expect(changes).toHaveLength(3);
  });

  it('keeps watching when a listener throws, and a bad value changes nothing', async () => {
    const { bucket, kv } = await provisioningBucket();
    const log = recordingLog();
    view = await watchProvisioning(nc, log, { bucket });
    view.onChange(() => {
      throw new Error('listener bug');
    });
    await kv.put(trunkKey('carrier'), JSON.stringify(trunkView('carrier')));
    await kv.put(trunkKey('carrier'), 'not json');
    await kv.put(trunkKey('second'), JSON.stringify(trunkView('second')));
    await waitFor('the second trunk', () => view!.snapshot().trunks.has('second'));
    expect(view.snapshot().trunks.get('carrier')).toEqual(trunkView('carrier'));
    expect(log.warnings.map((w) => w.msg)).toEqual([
      'provisioning change listener failed',
      'provisioning value is not JSON; skipped',
      'provisioning change listener failed',
    ]);
  });

  it('sees no more changes once closed', async () => {
    const { bucket, kv } = await provisioningBucket();
    view = await watchProvisioning(nc, recordingLog(), { bucket });
    await view.close();
    await kv.put(trunkKey('late'), JSON.stringify(trunkView('late')));
    await new Promise((resolve) => setTimeout(resolve, 200));
    expect(view.snapshot().trunks.size).toBe(0);
  });
});

describe('watchProvisioning when NATS loses the bucket', () => {
  it('watches again from scratch when the bucket is made anew, and tells listeners once per kind', async () => {
    const { bucket, kv } = await provisioningBucket();
    await kv.put(trunkKey('before'), JSON.stringify(trunkView('before')));
    const log = recordingLog();
    const view = await watchProvisioning(nc, log, { bucket, streamCheckIntervalMs: 100 });
    const changes: Array<[string, string]> = [];
    view.onChange((kind, key) => changes.push([kind, key]));
    try {
      await kv.destroy();
      // What the provisioning service's reconcile does after NATS lost its store.
      const remade = await new Kvm(nc).create(bucket);
      await remade.put(trunkKey('after'), JSON.stringify(trunkView('after')));
      await waitFor('the new bucket’s trunk', () => view.snapshot().trunks.has('after'), 10_000);
      expect([...view.snapshot().trunks.keys()]).toEqual(['after']);
      expect(changes).toEqual(
        expect.arrayContaining([
          ['trunk', '*'],
          ['domain', '*'],
          ['user', '*'],
          ['route', '*'],
        ]),
      );
      expect(log.warnings.map((w) => w.msg)).toContain('provisioning bucket lost or replaced; resyncing');

      await remade.put(trunkKey('later'), JSON.stringify(trunkView('later')));
      await waitFor('a change after the resync', () => changes.some(([, key]) => key === trunkKey('later')));
    } finally {
      await view.close();
    }
  });

  it('follows on through a restart of a nats-server that kept its store', async () => {
    const own = await startNatsServer();
    const ownNc = await connect({ servers: own.url, reconnectTimeWait: 100, maxReconnectAttempts: -1 });
    try {
      const kv = await new Kvm(ownNc).create(PROVISIONING_BUCKET);
      await kv.put(trunkKey('a'), JSON.stringify(trunkView('a')));
      const view = await watchProvisioning(ownNc, recordingLog(), { streamCheckIntervalMs: 100 });
      try {
        await own.restart();
        await waitFor(
          'a put after the restart',
          () => kv.put(trunkKey('b'), JSON.stringify(trunkView('b'))),
          10_000,
          100,
        );
        await waitFor('the trunk put after the restart', () => view.snapshot().trunks.has('b'), 10_000);
        expect([...view.snapshot().trunks.keys()].sort()).toEqual(['a', 'b']);
      } finally {
        await view.close();
      }
    } finally {
      await ownNc.close();
      await own.stop();
    }
  });
});

function binding(
  aor: string,
  contactUri: string,
  expiresAtMs: number,
  o: Partial<BindingView> = {},
): BindingView {
  return {
    aor,
    contactUri,
    expiresAtMs,
    callId: 'call-1@phone',
    cseq: 1,
    transport: 'udp',
    sourceAddress: '198.51.100.7',
    sourcePort: 40123,
    userAgent: 'baresip',
    instance: 'sip-edge-a',
    ...o,
  };
}

describe('BindingStore', () => {
  const alice = 'sip:alice@pbx.example.com';
  const bob = 'sip:bob@pbx.example.com';
  const now = Date.now();

  it('lists the unexpired contacts of an AOR, and every AOR’s in all()', async () => {
    const store = await openBindingStore(nc, { bucket: bucketName('REG') });
    await store.put(binding(alice, 'sip:alice@198.51.100.7:40123', now + 60_000));
    await store.put(
      binding(alice, 'sip:alice@[2001:db8::7];transport=tcp', now + 60_000, { transport: 'tcp', q: 0.5 }),
    );
    await store.put(
      binding(bob, 'sip:bob@198.51.100.8:5060', now + 60_000, { sipInstance: '<urn:uuid:1>', regId: 1 }),
    );

    const aliceContacts = await store.list(alice, now);
    expect(aliceContacts.map((b) => b.contactUri).sort()).toEqual([
      'sip:alice@198.51.100.7:40123',
      'sip:alice@[2001:db8::7];transport=tcp',
    ]);
    expect(aliceContacts.find((b) => b.transport === 'tcp')?.q).toBe(0.5);
    expect((await store.all(now)).map((b) => b.aor).sort()).toEqual([alice, alice, bob]);
    expect(await store.list('sip:nobody@pbx.example.com', now)).toEqual([]);
  });

  it('a re-REGISTER of a contact replaces its binding', async () => {
    const store = await openBindingStore(nc, { bucket: bucketName('REG') });
    await store.put(binding(alice, 'sip:alice@198.51.100.7:40123', now + 60_000, { cseq: 1 }));
    await store.put(binding(alice, 'sip:alice@198.51.100.7:40123', now + 120_000, { cseq: 2 }));
    expect(await store.list(alice, now)).toEqual([
      binding(alice, 'sip:alice@198.51.100.7:40123', now + 120_000, { cseq: 2 }),
    ]);
  });

  it('skips expired bindings and deletes them in the background', async () => {
    const bucket = bucketName('REG');
    const store = await openBindingStore(nc, { bucket });
    await store.put(binding(alice, 'sip:alice@198.51.100.7:1', now - 1));
    await store.put(binding(alice, 'sip:alice@198.51.100.7:2', now + 60_000));
    expect((await store.list(alice, now)).map((b) => b.contactUri)).toEqual(['sip:alice@198.51.100.7:2']);
    const kv = await new Kvm(nc).open(bucket);
    await waitFor('the expired binding deleted', async () => {
      const entry = await kv.get(bindingKey(alice, 'sip:alice@198.51.100.7:1'));
      return entry === null || entry.operation === 'DEL';
    });
    expect((await kv.get(bindingKey(alice, 'sip:alice@198.51.100.7:2')))?.operation).toBe('PUT');
  });

  it('removes one contact, or all of an AOR’s', async () => {
    const store = await openBindingStore(nc, { bucket: bucketName('REG') });
    for (const port of [1, 2, 3])
      await store.put(binding(alice, `sip:alice@198.51.100.7:${port}`, now + 60_000));
    await store.put(binding(bob, 'sip:bob@198.51.100.8', now + 60_000));
    await store.remove(alice, 'sip:alice@198.51.100.7:2');
    expect((await store.list(alice, now)).map((b) => b.contactUri).sort()).toEqual([
      'sip:alice@198.51.100.7:1',
      'sip:alice@198.51.100.7:3',
    ]);
    await store.removeAll(alice);
    expect(await store.list(alice, now)).toEqual([]);
    expect(await store.list(bob, now)).toHaveLength(1);
    await store.removeAll('sip:nobody@pbx.example.com');
  });

  it('creates the bucket with the registrar max age', async () => {
    const bucket = bucketName('REG');
    await openBindingStore(nc, { bucket });
    expect((await (await new Kvm(nc).open(bucket)).status()).ttl).toBe(24 * 3600_000);
  });
});

describe('TrunkStatusStore', () => {
  async function open(leaseMaxAgeMs?: number) {
    return openTrunkStatusStore(nc, {
      statusBucket: bucketName('STATUS'),
      leaseBucket: bucketName('LEASE'),
      ...(leaseMaxAgeMs === undefined ? {} : { leaseMaxAgeMs }),
    });
  }

  it('keeps the last status of each trunk', async () => {
    const store = await open();
    const status = {
      trunk: 'provider',
      state: 'failing' as const,
      lastStatus: 403,
      lastReason: 'Forbidden',
      nextAttemptAtMs: 5,
      instance: 'sip-edge-a',
      updatedAtMs: 4,
    };
    await store.put({ ...status, state: 'registering', lastStatus: 0 });
    await store.put(status);
    expect(await store.get('provider')).toEqual(status);
    expect(await store.get('unknown')).toBeUndefined();
  });

  it('gives the lease to one instance, which keeps it until it releases it', async () => {
    const store = await open();
    expect(await store.holdLease('provider', 'a')).toBe(true);
    expect(await store.holdLease('provider', 'b')).toBe(false);
    expect(await store.holdLease('provider', 'a')).toBe(true);
    expect(await store.holdLease('other trunk', 'b')).toBe(true);
    await store.releaseLease('provider', 'b');
    expect(await store.holdLease('provider', 'b')).toBe(false);
    await store.releaseLease('provider', 'a');
    expect(await store.holdLease('provider', 'b')).toBe(true);
    expect(await store.holdLease('provider', 'a')).toBe(false);
  });

  it('lets exactly one of many instances racing for a free lease win', async () => {
    const store = await open();
    const won = await Promise.all(
      ['a', 'b', 'c', 'd', 'e', 'f'].map((instance) => store.holdLease('provider', instance)),
    );
    expect(won.filter(Boolean)).toHaveLength(1);
  });

  it('passes the lease on when its holder stops refreshing (the bucket max age)', async () => {
    const store = await open(1000);
    expect(await store.holdLease('provider', 'a')).toBe(true);
    expect(await store.holdLease('provider', 'b')).toBe(false);
    await waitFor('the lease to expire', () => store.holdLease('provider', 'b'), 10_000, 100);
    expect(await store.holdLease('provider', 'a')).toBe(false);
  });
});

describe('the stores when NATS has lost their buckets', () => {
  const alice = 'sip:alice@pbx.example.com';

  it('a REGISTER after the loss makes the registrar bucket again, with its max age', async () => {
    const bucket = bucketName('REG');
    const store = await openBindingStore(nc, { bucket });
    await store.put(binding(alice, 'sip:alice@198.51.100.7:1', Date.now() + 60_000));
    await (await new Kvm(nc).open(bucket)).destroy();

    await store.put(binding(alice, 'sip:alice@198.51.100.7:2', Date.now() + 60_000));
    expect((await store.list(alice, Date.now())).map((b) => b.contactUri)).toEqual([
      'sip:alice@198.51.100.7:2',
    ]);
    expect((await (await new Kvm(nc).open(bucket)).status()).ttl).toBe(24 * 3600_000);
  });

  it('a lease is taken again after the loss', async () => {
    const leaseBucket = bucketName('LEASE');
    const store = await openTrunkStatusStore(nc, { statusBucket: bucketName('STATUS'), leaseBucket });
    expect(await store.holdLease('provider', 'a')).toBe(true);
    await (await new Kvm(nc).open(leaseBucket)).destroy();
    expect(await store.holdLease('provider', 'b')).toBe(true);
    expect(await store.holdLease('provider', 'a')).toBe(false);
  });
});
