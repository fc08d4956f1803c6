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
    const adA = advertiseInstance({ nc: a, kind: 'sip-edge', name: 'edge-a', address: '10.0.0.1:50052' });
    const adB = advertiseInstance({ nc: b, kind: 'sip-edge', name: 'edge-b', address: '10.0.0.2:50052' });
    const adOther = advertiseInstance({ nc: other, kind: 'media-worker', name: 'mw', address: '10.0.0.3:1' });
    // A watcher started after the announcements hears of them at once (its ping), not a heartbeat later.
    const watch = watchInstances({ nc: watcher, kind: 'sip-edge' });
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

  it('drops an instance killed without a word once its heartbeats stop for the TTL', async () => {
    const [watcher, victim] = await Promise.all([connect(), connect()]);
    advertiseInstance({
      nc: victim,
      kind: 'recording',
      name: 'rec-1.pod',
      address: '10.0.0.9:50056',
      heartbeatMs: 100,
    });
    const watch = watchInstances({ nc: watcher, kind: 'recording', ttlMs: 500 });
    await waitFor('announced', () => names(watch.list()).join() === 'rec-1.pod', 1500);
    await victim.close(); // as a kill -9 leaves it: no `gone`
    await waitFor('expired', () => watch.list().length === 0, 2000);
    watch.close();
  });
});
