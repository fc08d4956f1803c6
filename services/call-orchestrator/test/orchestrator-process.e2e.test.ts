// The orchestrator as a process (node dist/src/main.js, configured by environment only), killed with
// SIGKILL mid-call and restarted: calls are rebuilt from the log, control goes on, deadlines still fire.
import { join } from 'node:path';
import pg from 'pg';
import { connectBus, type NatsConnection } from '@callctl/bus';
import { callStreamId, createEventStore, type EventStore } from '@callctl/eventstore';
import { callEvents, health } from '@callctl/proto';
import { credentials } from '@grpc/grpc-js';
import {
  createTestDatabase,
  freePort,
  startNatsServer,
  startProcess,
  waitFor,
  type ManagedProcess,
  type NatsServerFixture,
  type TestDatabase,
} from '@callctl/testing';
import type { GrpcStatusError } from '@callctl/client';
import { CallControlTestClient } from './support/call-control-client.js';
import { RecordingSipEdge } from './support/recording-sip-edge.js';

jest.setTimeout(60_000);

const MAIN = join(__dirname, '..', 'dist', 'src', 'main.js');

describe('call-orchestrator process', () => {
  let db: TestDatabase;
  let pool: pg.Pool;
  let store: EventStore;
  let nats: NatsServerFixture;
  let nc: NatsConnection;
  let sipEdge: RecordingSipEdge;
  let port: number;
  let orchestrator: ManagedProcess;
  let client: CallControlTestClient;

  const start = async () => {
    const proc = startProcess(process.execPath, [MAIN], {
      env: {
        ...process.env,
        GRPC_PORT: String(port),
        DATABASE_URL: db.url,
        NATS_URL: nats.url,
        SIP_EDGE_GRPC: sipEdge.address,
        MEDIA_WORKER_GRPC: '127.0.0.1:1',
        LOG_LEVEL: 'info',
      },
    });
    await waitFor(
      'call-orchestrator ready',
      () => {
        if (proc.child.exitCode !== null) throw new Error(`exited: ${proc.output()}`);
        return proc.output().includes('call-orchestrator ready');
      },
      20_000,
    );
    return proc;
  };
  const stream = (callId: string) => store.readStream(callStreamId(callId));

  beforeAll(async () => {
    db = await createTestDatabase();
    pool = new pg.Pool({ connectionString: db.url, max: 2 });
    pool.on('error', () => undefined);
    store = createEventStore({ pool });
    nats = await startNatsServer();
    nc = await connectBus({ servers: nats.url, name: 'orchestrator-e2e' });
    sipEdge = await RecordingSipEdge.start({ nc });
    port = await freePort();
    orchestrator = await start();
    client = new CallControlTestClient(`127.0.0.1:${port}`);
  });
  afterAll(async () => {
    client?.close();
    await orchestrator?.stop();
    await sipEdge?.stop();
    await nc?.drain();
    await nats?.stop();
    await pool?.end();
    await db?.drop();
  });

  it('answers the standard health check for the server and CallControl', async () => {
    const h = new health.HealthClient(`127.0.0.1:${port}`, credentials.createInsecure());
    const check = (service: string) =>
      new Promise<health.HealthCheckResponse>((resolve, reject) =>
        h.check({ service }, (e, r) => (e ? reject(e) : resolve(r))),
      );
    try {
      expect((await check('callctl.v1.CallControl')).status).toBe(
        health.HealthCheckResponse_ServingStatus.SERVING,
      );
    } finally {
      h.close();
    }
  });

  it('survives kill -9 mid-call: same state, hangup works, deadlines still fire', async () => {
    // Call A: answered and controlled across the crash.
    const a = await sipEdge.offerInboundCall();
    await waitFor('call A recorded', async () => (await stream(a.callId)).length === 3);
    await client.answerLeg(a.callId, a.legId);
    // Call B: a digit collection whose first-digit timeout is due after the crash.
    const b = await sipEdge.offerInboundCall();
    await waitFor('call B recorded', async () => (await stream(b.callId)).length === 3);
    await client.answerLeg(b.callId, b.legId);
    await client.collectDigits({
      callId: b.callId,
      legId: b.legId,
      firstDigitTimeoutMs: 3000,
      idempotencyKey: 'b-1',
    });
    const before = await client.getCall(a.callId);

    await orchestrator.kill();
    expect(orchestrator.child.signalCode).toBe('SIGKILL');
    expect((await stream(b.callId)).map((e) => e.type)).not.toContain('DigitsCollected');
    orchestrator = await start();

    expect(await client.getCall(a.callId)).toEqual(before);
    await client.hangup(a.callId);
    expect(sipEdge.received('hangupLeg')).toContainEqual(
      expect.objectContaining({ callId: a.callId, legId: a.legId }),
    );
    expect(await client.getCall(a.callId)).toMatchObject({
      ended: true,
      endCause: callEvents.EndCause.END_CAUSE_LOCAL_HANGUP,
    });

    const collected = await waitFor(
      'the first-digit timeout after the restart',
      async () => (await stream(b.callId)).find((e) => e.type === 'DigitsCollected'),
      10_000,
    );
    expect(collected.data).toEqual(
      expect.objectContaining({ reason: 'COLLECT_END_REASON_FIRST_DIGIT_TIMEOUT' }),
    );
    // Facts published while it was down are consumed after the restart.
    await sipEdge.ended(b.callId, b.legId, callEvents.EndCause.END_CAUSE_REMOTE_HANGUP);
    await waitFor('the BYE of call B', async () => (await client.getCall(b.callId)).ended);
  });

  it('survives kill -9 in the middle of a transfer: the restarted process completes it from the log', async () => {
    // A (inbound) bridged with B; A transferred (BRIDGE) to a target that answers.
    const { callId, legId: a } = await sipEdge.offerInboundCall();
    await waitFor('call recorded', async () => (await stream(callId)).length === 3);
    await client.answerLeg(callId, a);
    const { legId: b } = await client.dial({ callId, bridgeWithLegId: a, idempotencyKey: 'x-b' });
    await waitFor(
      'B sent',
      async () => (await stream(callId)).filter((e) => e.type === 'LegInitiated').length === 2,
    );
    await sipEdge.answered(callId, b);
    await waitFor('A and B bridged', async () =>
      (await stream(callId)).some((e) => e.type === 'LegsBridged'),
    );
    const { targetLegId } = await client.api.transferLeg({
      callId,
      legId: a,
      target: 'sip:carol@127.0.0.1:5090',
      mode: callEvents.TransferMode.TRANSFER_MODE_BRIDGE,
      fromUri: '',
      timeoutMs: 0,
      releaseOnFailure: false,
      idempotencyKey: 'x-1',
    });
    await waitFor(
      'target sent',
      async () => (await stream(callId)).filter((e) => e.type === 'LegInitiated').length === 3,
    );
    // The move's bridge gets no answer before the crash: B released, A and the target apart.
    const release = sipEdge.holdNext('bridgeLegs');
    await sipEdge.answered(callId, targetLegId);
    const bridgesAsked = () => sipEdge.received('bridgeLegs').filter((r) => r.callId === callId);
    await waitFor('bridge asked', async () => bridgesAsked().length === 1);
    await orchestrator.kill();
    release();
    const atCrash = (await stream(callId)).map((e) => e.type);
    expect(atCrash).toContain('TransferProgress');
    expect(atCrash).not.toContain('TransferCompleted');
    expect(atCrash).not.toContain('TransferFailed');

    orchestrator = await start();
    const done = await waitFor(
      'the transfer completed after the restart',
      async () => {
        const events = await stream(callId);
        return events.some((e) => e.type === 'TransferCompleted') ? events : undefined;
      },
      15_000,
    );
    expect(bridgesAsked().at(-1)).toMatchObject({ legAId: a, legBId: targetLegId });
    expect(done.filter((e) => e.type === 'LegEnded').map((e) => (e.data as { legId: string }).legId)).toEqual(
      [b],
    );
    expect(done.map((e) => e.type).slice(-2)).toEqual(['LegsBridged', 'TransferCompleted']);
    expect((await client.getCall(callId)).ended).toBe(false);
    await client.hangup(callId);
  });

  /** A phone's leg P (inbound, answered) bridged with X, whom the application dialled. */
  const phoneCall = async (key: string) => {
    const { callId, legId: p } = await sipEdge.offerInboundCall();
    await waitFor('call recorded', async () => (await stream(callId)).length === 3);
    await client.answerLeg(callId, p);
    const { legId: x } = await client.dial({ callId, bridgeWithLegId: p, idempotencyKey: key });
    await waitFor(
      'X sent',
      async () => (await stream(callId)).filter((e) => e.type === 'LegInitiated').length === 2,
    );
    await sipEdge.answered(callId, x);
    await waitFor('P and X bridged', async () =>
      (await stream(callId)).some((e) => e.type === 'LegsBridged'),
    );
    return { callId, p, x };
  };

  // Killed while the replaced call's leg is being moved (nothing recorded anywhere yet), and after the
  // replaced call recorded the move but before the REFER's call did (the one step that crosses calls).
  it.each([
    ['moveLeg', 'the move is in flight'],
    ['hangupLeg', 'call 2 recorded the move, call 1 not yet'],
  ] as const)(
    "survives kill -9 in the middle of a phone's REFER with Replaces (%s held: %s): completed after the restart",
    async (held, _what) => {
      const one = await phoneCall(`r1-${held}`);
      const two = await phoneCall(`r2-${held}`);
      const release = sipEdge.holdNext(held);
      await sipEdge.publishSipFact(one.callId, one.p, {
        $case: 'referReceived',
        referReceived: {
          referId: '3',
          referTo: 'sip:x2@127.0.0.1',
          referredBy: '',
          replacesCallId: two.callId,
          replacesLegId: two.p,
        },
      });
      await waitFor('held', async () => sipEdge.received(held).some((r) => r.callId === two.callId));
      await orchestrator.kill();
      release();
      const atCrash = (await stream(one.callId)).map((e) => e.type);
      expect(atCrash).toContain('TransferRequested');
      expect(atCrash).not.toContain('LegMovedIn');
      expect((await stream(two.callId)).some((e) => e.type === 'LegMovedOut')).toBe(held === 'hangupLeg');

      orchestrator = await start();
      const done = await waitFor(
        'the transfer completed after the restart',
        async () => {
          const events = await stream(one.callId);
          return events.some((e) => e.type === 'TransferCompleted') ? events : undefined;
        },
        15_000,
      );
      expect(done.map((e) => e.type).slice(-6)).toEqual([
        'LegMovedIn',
        'TransferProgress',
        'BridgeEnded',
        'LegEnded',
        'LegsBridged',
        'TransferCompleted',
      ]);
      const replaced = (await stream(two.callId)).map((e) => e.type);
      expect(replaced.filter((type) => type === 'LegMovedOut')).toHaveLength(1);
      expect(replaced.at(-1)).toBe('CallEnded');
      expect(sipEdge.received('bridgeLegs').at(-1)).toMatchObject({ legAId: one.x, legBId: two.x });
      expect((await client.getCall(one.callId)).ended).toBe(false);
      await client.hangup(one.callId);
    },
  );

  it('drains and exits 0 on SIGTERM, ending WatchEvents streams cleanly', async () => {
    const watch = client.watch(0);
    const received: unknown[] = [];
    const ended = (async () => {
      for await (const m of watch) received.push(m);
      return 'end';
    })().catch((e: GrpcStatusError) => `error ${e.status}`);
    await waitFor('the stream caught up', () => received.length > 0);
    orchestrator.child.kill('SIGTERM');
    expect(await ended).toBe('end');
    expect(await orchestrator.exited).toBe(0);
    expect(orchestrator.output()).toContain('"msg":"stopped"');
  });
});

describe('call-orchestrator configuration', () => {
  it('exits 78 with one line naming the bad variables', async () => {
    const proc = startProcess(process.execPath, [MAIN], {
      env: { ...process.env, GRPC_PORT: 'eighty', DATABASE_URL: 'mysql://x', NATS_URL: '' },
    });
    expect(await proc.exited).toBe(78);
    const lines = proc.output().trim().split('\n');
    expect(lines).toHaveLength(1);
    expect(lines[0]).toContain('GRPC_PORT: expected a port number (got "eighty")');
    expect(lines[0]).toContain('DATABASE_URL: expected a URL (postgres:// or postgresql://)');
    expect(lines[0]).toContain('NATS_URL');
  });
});
