// sip-edge as a process: configuration errors, a clean exit on SIGTERM whether or not the SIP engine
// went away first, and the graceful drain (SIP_EDGE_DRAIN_MAX_MS) a Kubernetes pod termination relies on.
import { join } from 'node:path';
import { RtpEndpoint, startProcess, startSipp, waitFor } from '@callctl/testing';
import { credentials, Metadata } from '@grpc/grpc-js';
import { callEvents, health } from '@callctl/proto';
import { call, startEdgeUnderTest, type EdgeUnderTest } from '../support/edge-under-test.js';

jest.setTimeout(60_000);

const MAIN = join(__dirname, '..', '..', 'services', 'sip-edge', 'dist', 'src', 'main.js');

describe('sip-edge process', () => {
  let t: EdgeUnderTest;

  beforeAll(async () => {
    t = await startEdgeUnderTest();
  });
  afterAll(async () => {
    await t?.close();
  });

  it('ends the calls it holds on SIGTERM: BYE to an answered caller, 503 to a waiting one, LegEnded for both', async () => {
    const answeredRtp = await RtpEndpoint.open();
    const waitingRtp = await RtpEndpoint.open();
    try {
      const caller = (scenario: string, service: string, rtp: RtpEndpoint) =>
        startSipp({
          scenario: join(__dirname, '..', 'scenarios', scenario),
          remote: `127.0.0.1:${t.engine.sipPort}`,
          service,
          args: ['-key', 'rtp_port', String(rtp.port)],
        });
      const offered = (service: string) =>
        t.fact(
          'inboundCallOffered',
          (f) =>
            f.fact?.$case === 'inboundCallOffered' &&
            f.fact.inboundCallOffered.toUri.includes(`sip:${service}@`),
        );
      const answeredSipp = await caller('uac-answered-expect-bye.xml', 'shutdown-answered', answeredRtp);
      const answered = await offered('shutdown-answered');
      await call(t.client.answerLeg.bind(t.client) as never, {
        callId: answered.callId,
        legId: answered.legId,
      });
      await t.fact('legAnswered', (f) => f.legId === answered.legId);
      const waitingSipp = await caller('uac-expect-503.xml', 'shutdown-waiting', waitingRtp);
      const waiting = await offered('shutdown-waiting');

      t.sipEdge.process.child.kill('SIGTERM');

      expect(await t.sipEdge.process.exited).toBe(0);
      t.expectSippSucceeded(await answeredSipp.result);
      t.expectSippSucceeded(await waitingSipp.result);
      for (const leg of [answered, waiting]) {
        const ended = await t.fact('legEnded', (f) => f.legId === leg.legId);
        expect(ended.fact.legEnded).toMatchObject({
          cause: callEvents.EndCause.END_CAUSE_PLATFORM_FAILURE,
          reason: 'sip-edge shutting down',
        });
      }
    } finally {
      await answeredRtp.close();
      await waitingRtp.close();
    }
    await t.restartSipEdge();
  });

  it('drains and exits 0 on SIGTERM after its SIP engine stopped', async () => {
    await t.engine.stop();
    t.sipEdge.process.child.kill('SIGTERM');
    expect(await t.sipEdge.process.exited).toBe(0);
    expect(t.sipEdge.output()).toContain('"msg":"stopped"');
    expect(t.sipEdge.output()).not.toContain('close failed');
  });
});

describe('sip-edge draining on SIGTERM', () => {
  let t: EdgeUnderTest;

  beforeAll(async () => {
    t = await startEdgeUnderTest({ drainMaxMs: 60_000 });
  });
  afterAll(async () => {
    await t?.close();
  });

  const healthOf = async (port: number): Promise<health.HealthCheckResponse_ServingStatus> => {
    const client = new health.HealthClient(`127.0.0.1:${port}`, credentials.createInsecure());
    try {
      return await new Promise((resolve, reject) =>
        client.check({ service: '' }, (error, reply) => (error ? reject(error) : resolve(reply.status))),
      );
    } finally {
      client.close();
    }
  };

  it('refuses new INVITEs with 503 and Retry-After, turns NOT_SERVING, lets the call up end normally, then exits', async () => {
    const upRtp = await RtpEndpoint.open();
    const lateRtp = await RtpEndpoint.open();
    try {
      // A caller that hangs up by itself 8 s after the answer, well after the drain has begun.
      const upSipp = await startSipp({
        scenario: join(__dirname, '..', 'scenarios', 'uac-answered-8s-then-bye.xml'),
        remote: `127.0.0.1:${t.engine.sipPort}`,
        service: 'drain-up',
        args: ['-key', 'rtp_port', String(upRtp.port)],
      });
      const up = await t.fact(
        'inboundCallOffered',
        (f) =>
          f.fact?.$case === 'inboundCallOffered' && f.fact.inboundCallOffered.toUri.includes('sip:drain-up@'),
      );
      await call(t.client.answerLeg.bind(t.client) as never, { callId: up.callId, legId: up.legId });
      await t.fact('legAnswered', (f) => f.legId === up.legId);

      t.sipEdge.process.child.kill('SIGTERM');
      await waitFor(
        'sip-edge to start draining',
        () => t.sipEdge.output().includes('draining: waiting'),
        10_000,
      );
      // Only meaningful while the call is still up: its caller has not hung up yet.
      expect(t.seen.some((f) => f.legId === up.legId && f.fact?.$case === 'legEnded')).toBe(false);
      expect(await healthOf(t.sipEdge.grpcPort)).toBe(health.HealthCheckResponse_ServingStatus.NOT_SERVING);

      const offeredBefore = t.seen.filter((f) => f.fact?.$case === 'inboundCallOffered').length;
      const lateSipp = await startSipp({
        scenario: join(__dirname, '..', 'scenarios', 'uac-expect-503-retry-after.xml'),
        remote: `127.0.0.1:${t.engine.sipPort}`,
        service: 'drain-late',
        args: ['-key', 'rtp_port', String(lateRtp.port)],
      });
      t.expectSippSucceeded(await lateSipp.result);
      // Refused before it became a leg: the orchestrator never heard of it.
      expect(t.seen.filter((f) => f.fact?.$case === 'inboundCallOffered')).toHaveLength(offeredBefore);
      expect(t.sipEdge.process.child.exitCode).toBeNull();

      // The call up ends the normal way: the caller's BYE is answered and reported as its own hangup.
      t.expectSippSucceeded(await upSipp.result);
      const ended = await t.fact('legEnded', (f) => f.legId === up.legId);
      expect(ended.fact.legEnded.cause).toBe(callEvents.EndCause.END_CAUSE_REMOTE_HANGUP);

      expect(await t.sipEdge.process.exited).toBe(0);
      expect(t.sipEdge.output()).toContain('drained: every call has ended');
      expect(t.sipEdge.output()).not.toContain('ended the calls still up at shutdown');
    } finally {
      await upRtp.close();
      await lateRtp.close();
    }
  });
});

describe('sip-edge without NATS', () => {
  let t: EdgeUnderTest;

  beforeAll(async () => {
    t = await startEdgeUnderTest({ factGiveUpMs: 5000, answerTimeoutMs: 2000 });
  });
  afterAll(async () => {
    await t?.close();
  });

  const runCaller = async (testCase: string, scenario: string) => {
    const rtp = await RtpEndpoint.open();
    try {
      const sipp = await startSipp({
        scenario: join(__dirname, '..', 'scenarios', scenario),
        remote: `127.0.0.1:${t.engine.sipPort}`,
        service: testCase,
        args: ['-key', 'rtp_port', String(rtp.port)],
      });
      return await sipp.result;
    } finally {
      await rtp.close();
    }
  };

  it('hangs up while NATS is away and stores the LegEnded fact once NATS is back', async () => {
    const rtp = await RtpEndpoint.open();
    try {
      const sipp = await startSipp({
        scenario: join(__dirname, '..', 'scenarios', 'uac-answered-expect-bye.xml'),
        remote: `127.0.0.1:${t.engine.sipPort}`,
        service: 'hangup-without-nats',
        args: ['-key', 'rtp_port', String(rtp.port)],
      });
      const offered = await t.fact(
        'inboundCallOffered',
        (f) =>
          f.fact?.$case === 'inboundCallOffered' &&
          f.fact.inboundCallOffered.toUri.includes('sip:hangup-without-nats@'),
      );
      const { callId, legId } = offered;
      await call(t.client.answerLeg.bind(t.client) as never, { callId, legId });
      await t.fact('legAnswered', (f) => f.legId === legId);

      await t.nats.halt();
      // The deadline is far below the fact's retry window: the reply must not wait for NATS.
      await new Promise<void>((resolve, reject) =>
        t.client.hangupLeg(
          { callId, legId, sipStatus: 0, reason: 'no nats' },
          new Metadata(),
          { deadline: Date.now() + 3000 },
          (error) => (error ? reject(error) : resolve()),
        ),
      );
      t.expectSippSucceeded(await sipp.result);

      await t.nats.restart();
      const ended = await t.fact('legEnded', (f) => f.legId === legId, 30_000);
      expect(ended.fact.legEnded.cause).toBe(callEvents.EndCause.END_CAUSE_LOCAL_HANGUP);
    } finally {
      await rtp.close();
    }
  });

  it('refuses a call it cannot record with 503, leaves no media behind, and takes calls again once NATS is back', async () => {
    const held = (await t.rtpengine.listCalls()).sort();
    await t.nats.halt();
    t.expectSippSucceeded(await runCaller('no-nats', 'uac-expect-503.xml'));
    // The platform's answer was prepared with the INVITE; the refusal removes it again.
    await waitFor(
      'rtpengine to hold only the calls it held before',
      async () => JSON.stringify((await t.rtpengine.listCalls()).sort()) === JSON.stringify(held),
      10_000,
    );
    await t.nats.restart();
    const later = runCaller('nats-back', 'uac-expect-480.xml');
    const offered = await t.fact(
      'inboundCallOffered',
      (f) =>
        f.fact?.$case === 'inboundCallOffered' && f.fact.inboundCallOffered.toUri.includes('sip:nats-back@'),
      20_000,
    );
    t.expectSippSucceeded(await later);
    await t.fact('legEnded', (f) => f.legId === offered.legId);
  });
});

describe('sip-edge configuration', () => {
  it('exits 78 with one line naming each bad variable', async () => {
    const proc = startProcess(process.execPath, [MAIN], {
      env: { ...process.env, NATS_URL: 'http://x', DEFAULT_REJECT_STATUS: '200', SIP_ENGINE_ADMIN: 'nohost' },
    });
    expect(await proc.exited).toBe(78);
    const lines = proc.output().trim().split('\n');
    expect(lines).toHaveLength(1);
    expect(lines[0]).toContain('NATS_URL: expected a URL (nats://)');
    expect(lines[0]).toContain('DEFAULT_REJECT_STATUS: expected a SIP status 400-699');
    expect(lines[0]).toContain('SIP_ENGINE_ADMIN: expected host:port');
  });
});
