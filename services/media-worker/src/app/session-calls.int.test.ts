import { randomUUID } from 'node:crypto';
import { connectBus, type NatsConnection } from '@callctl/bus';
import { createLogger } from '@callctl/logging';
import { startNatsServer, waitFor, type NatsServerFixture } from '@callctl/testing';
import { openNatsWorkerState } from '../adapters/nats/worker-state-store.js';
import type { WorkerState } from './ports.js';
import { SessionCalls } from './session-calls.js';

const log = createLogger({ service: 'test', level: 'silent' });

describe('the calls of media sessions (real nats-server)', () => {
  let natsServer: NatsServerFixture;
  let nats: NatsConnection;
  let state: WorkerState;
  let instance: string;

  const openState = () => openNatsWorkerState({ nc: nats, instance, timeoutMs: 3000 });
  const recorded = async () => (await state.sessionCalls.all()).map((r) => r.value);

  beforeAll(async () => {
    natsServer = await startNatsServer();
    nats = await connectBus({ servers: natsServer.url, name: 'session-calls-test' });
  });
  beforeEach(async () => {
    instance = `session-calls-${randomUUID()}`;
    state = await openState();
  });
  afterAll(async () => {
    await nats?.close();
    await natsServer?.stop();
  });

  it('answers the call a request named for the session, and the session id for one no request named', async () => {
    const calls = new SessionCalls({ state: state.sessionCalls, log });
    calls.remember('bridge-1', 'call-1');
    // An older caller's request names no call: what was named stays.
    calls.remember('bridge-1', '');
    expect(calls.callOf('bridge-1')).toBe('call-1');
    expect(calls.callOf('call-2')).toBe('call-2');
  });

  it('records only sessions whose call differs from their id, and forgets a deleted one', async () => {
    const calls = new SessionCalls({ state: state.sessionCalls, log });
    calls.remember('call-3', 'call-3');
    calls.remember('bridge-3', 'call-3');
    // Not awaited by the media operation: the write lands shortly after.
    await waitFor('record written', async () => (await recorded()).length > 0, 5000);
    expect(await recorded()).toEqual([{ sessionId: 'bridge-3', callId: 'call-3' }]);
    calls.forget('bridge-3');
    expect(calls.callOf('bridge-3')).toBe('bridge-3');
    await waitFor('record removed', async () => (await recorded()).length === 0, 5000);
  });

  it('recover takes back the calls of sessions the relay still has and drops the others', async () => {
    const first = new SessionCalls({ state: state.sessionCalls, log });
    first.remember('bridge-4', 'call-4');
    first.remember('bridge-5', 'call-5');
    await waitFor('records written', async () => (await recorded()).length === 2, 5000);
    const next = new SessionCalls({ state: (await openState()).sessionCalls, log });
    expect(await next.recover(async (sessionId) => (sessionId === 'bridge-5' ? 'gone' : 'present'))).toEqual({
      kept: 1,
      dropped: 1,
    });
    expect(next.callOf('bridge-4')).toBe('call-4');
    expect(next.callOf('bridge-5')).toBe('bridge-5');
    expect(await recorded()).toEqual([{ sessionId: 'bridge-4', callId: 'call-4' }]);
  });
});
