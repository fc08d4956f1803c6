// Instances announcing themselves over a real nats-server, as peers see them.
import { startNatsServer, waitFor, type NatsServerFixture } from '@callctl/testing';
import { connectBus, type NatsConnection } from './connection.js';
import { advertiseInstance, watchInstances } from './instance-registry.js';

let server: NatsServerFixture;
const connections: NatsConnection[] = [];
const connect = async () => {
  const nc = await connectBus({ servers: server.url, name: 'instances-test' });
  connections.push(nc);
  return nc;
};
beforeAll(async () => {
  server = await startNatsServer();
});
afterAll(async () => {
  for (const nc of connections) await nc.close().catch(() => undefined);
  await server.stop();
});

const names = (list: { name: string }[]) => list.map((i) => i.name);

describe('instance registry', () => {
  it('lists the instances of a kind that announce themselves, each with its address, and only them', async () => {
    const watcher = await connect();
    const [a, b, other] = await Promise.all([connect(), connect(), connect()]);
    const adA = await advertiseInstance({
      nc: a,
      kind: 'sip-edge',
      name: 'edge-a',
      address: '10.0.0.1:50052',
    });
    const adB = await advertiseInstance({
      nc: b,
      kind: 'sip-edge',
      name: 'edge-b',
      address: '10.0.0.2:50052',
    });
    const adOther = await advertiseInstance({
      nc: other,
      kind: 'media-worker',
      name: 'mw',
      address: '10.0.0.3:1',
    });
    // A watcher started after the announcements hears of them at once (its ping), not a heartbeat later.
    const watch = await watchInstances({ nc: watcher, kind: 'sip-edge' });
    await waitFor('both edges', () => watch.list().length === 2, 1500);
    expect(watch.list()).toEqual([
      { name: 'edge-a', address: '10.0.0.1:50052' },
      { name: 'edge-b', address: '10.0.0.2:50052' },
    ]);

    adA.drain();
    await waitFor('edge-a draining', () => watch.list()[0]?.draining === true, 1500);

    await adB.close();
    await waitFor('edge-b gone at once', () => names(watch.list()).join() === 'edge-a', 1500);
    await adA.close();
    await adOther.close();
    watch.close();
  });

  it('lists an instance killed without a word as missing once its heartbeats stop, also to a peer started later', async () => {
    const [watcher, victim, later] = await Promise.all([connect(), connect(), connect()]);
    await advertiseInstance({
      nc: victim,
      kind: 'recording',
      name: 'rec-1.pod',
      address: '10.0.0.9:50056',
      heartbeatMs: 100,
    });
    const watch = await watchInstances({ nc: watcher, kind: 'recording', ttlMs: 500 });
    await waitFor('announced', () => names(watch.list()).join() === 'rec-1.pod', 1500);
    expect(watch.list()[0]!.missing).toBeUndefined();
    await victim.close(); // as a kill -9 leaves it: no `gone`
    await waitFor('missing', () => watch.list()[0]?.missing === true, 3000);
    // A process that starts now never heard it: the stored announcement tells it of the missing instance.
    const fresh = await watchInstances({ nc: later, kind: 'recording', ttlMs: 500 });
    expect(fresh.list()).toEqual([{ name: 'rec-1.pod', address: '10.0.0.9:50056', missing: true }]);
    watch.close();
    fresh.close();
  });

  it('forgets an instance that stopped cleanly, for peers started later too', async () => {
    const [instance, later] = await Promise.all([connect(), connect()]);
    const ad = await advertiseInstance({
      nc: instance,
      kind: 'tts',
      name: 'tts-1',
      address: '10.0.0.5:50054',
    });
    await ad.close();
    const fresh = await watchInstances({ nc: later, kind: 'tts' });
    expect(fresh.list()).toEqual([]);
    fresh.close();
  });
});
