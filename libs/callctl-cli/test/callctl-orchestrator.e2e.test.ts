import { spawn } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { createInterface } from 'node:readline';
import { callEvents, facts } from '@callctl/proto';
import {
  connectBus,
  ensureFactsStream,
  publishDurably,
  sipFactSubject,
  type NatsConnection,
} from '@callctl/bus';
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
import { CALLCTL, ORCHESTRATOR, runCallctl } from './support/callctl-process.js';

// The built `callctl` against the real call-orchestrator process (PostgreSQL event log, nats-server). No
// sip-edge or media-worker runs: the inbound call arrives as the SipFacts sip-edge would publish, and
// commands that need a peer show how the CLI reports a peer that is down.

jest.setTimeout(60_000);

describe('callctl against the call-orchestrator', () => {
  let db: TestDatabase;
  let nats: NatsServerFixture;
  let nc: NatsConnection;
  let orchestrator: ManagedProcess;
  let server: string;

  const callctl = (...args: string[]) => runCallctl(args, { CALLCTL_SERVER: server });

  /** What sip-edge publishes about a leg. */
  const sipFact = (callId: string, legId: string, fact: NonNullable<facts.SipFact['fact']>) => {
    const factId = randomUUID();
    return publishDurably(
      nc,
      sipFactSubject(callId),
      facts.SipFact,
      // Unstamped (as an older sip-edge): applied in arrival order.
      { factId, callId, legId, fact, sourceSequence: 0, occurredAtMs: 0 },
      {
        msgId: factId,
        giveUpAfterMs: 10_000,
      },
    );
  };
  const offerInboundCall = async () => {
    const callId = randomUUID();
    const legId = randomUUID();
    await sipFact(callId, legId, {
      $case: 'inboundCallOffered',
      inboundCallOffered: {
        fromUri: 'sip:alice@127.0.0.1:5061',
        toUri: 'sip:ivr@127.0.0.1:5060',
        sipCallId: `${legId}@127.0.0.1`,
        fromDisplayName: '',
        headers: {},
      },
    });
    return { callId, legId };
  };
  /** Until `callctl get` shows the call (the orchestrator consumed the fact); fails with its log. */
  const shown = (callId: string, text: string) =>
    waitFor(
      `callctl get ${callId} showing ${text}`,
      async () => {
        const result = await callctl('get', callId);
        return result.code === 0 && result.stdout.includes(text) ? result : undefined;
      },
      20_000,
      200,
    ).catch((error: Error) => {
      throw new Error(`${error.message}\norchestrator log:\n${orchestrator.output().slice(-3000)}`);
    });

  beforeAll(async () => {
    db = await createTestDatabase();
    nats = await startNatsServer();
    nc = await connectBus({ servers: nats.url, name: 'callctl-test' });
    await ensureFactsStream(nc);
    const port = await freePort();
    server = `127.0.0.1:${port}`;
    orchestrator = startProcess(process.execPath, [ORCHESTRATOR], {
      env: {
        ...process.env,
        GRPC_PORT: String(port),
        DATABASE_URL: db.url,
        NATS_URL: nats.url,
        // Nothing listens there: commands that need sip-edge or the media-worker meet a peer that is down.
        SIP_EDGE_GRPC: '127.0.0.1:1',
        SIP_EDGE_TIMEOUT_MS: '2000',
        MEDIA_WORKER_GRPC: '127.0.0.1:1',
        LOG_LEVEL: 'info',
      },
    });
    await waitFor(
      'call-orchestrator listening',
      async () => {
        if (orchestrator.child.exitCode !== null)
          throw new Error(`orchestrator exited: ${orchestrator.output()}`);
        return (await callctl('list', '--timeout', '1s')).code === 0;
      },
      30_000,
      200,
    );
  });

  afterAll(async () => {
    await orchestrator?.stop();
    await nc?.close();
    await nats?.stop();
    await db?.drop();
  });

  it('watch prints a new inbound call live; get and list show it', async () => {
    const watcher = spawn(process.execPath, [CALLCTL, 'watch', '--server', server]);
    const lines: string[] = [];
    createInterface({ input: watcher.stdout }).on('line', (line) => lines.push(line));
    const exited = new Promise<number | null>((resolve) => watcher.once('exit', (code) => resolve(code)));
    try {
      const { callId, legId } = await offerInboundCall();
      const ofCall = () => lines.filter((line) => line.includes(` ${callId} `));
      await waitFor('CallCreated and LegInitiated printed', () => ofCall().length >= 2, 20_000);
      expect(ofCall()[0]).toMatch(new RegExp(`^\\d\\d:\\d\\d:\\d\\d\\.\\d{3} #\\d+ ${callId} CallCreated`));
      expect(ofCall()[1]).toContain(
        `${callId} LegInitiated leg=${legId} inbound from=sip:alice@127.0.0.1:5061 to=sip:ivr@127.0.0.1:5060`,
      );

      const got = await shown(callId, `leg ${legId}`);
      expect(got.stdout).toMatch(new RegExp(`^call ${callId} active version=\\d+`));
      expect(got.stdout).toContain(`leg ${legId} inbound`);
      const listed = await callctl('list');
      expect(listed).toMatchObject({ code: 0, stderr: '' });
      expect(listed.stdout).toContain(`call ${callId} active`);

      watcher.kill('SIGINT');
      expect(await exited).toBe(0);
    } finally {
      watcher.kill('SIGKILL');
    }
  });

  it('watch --call --from-position replays one call from the log, then the call ends live', async () => {
    const { callId, legId } = await offerInboundCall();
    await shown(callId, `leg ${legId}`);
    const watcher = spawn(process.execPath, [
      CALLCTL,
      'watch',
      '--call',
      callId,
      '--from-position',
      '0',
      '--json',
      '--server',
      server,
    ]);
    const events: Array<{ envelope: { type: string; globalPosition: number } }> = [];
    createInterface({ input: watcher.stdout }).on('line', (line) => events.push(JSON.parse(line)));
    const exited = new Promise<number | null>((resolve) => watcher.once('exit', (code) => resolve(code)));
    try {
      await waitFor('the stored events replayed', () => events.length >= 2, 20_000);
      await sipFact(callId, legId, {
        $case: 'legEnded',
        legEnded: { cause: callEvents.EndCause.END_CAUSE_REMOTE_HANGUP, sipStatus: 0, reason: '' },
      });
      await waitFor('CallEnded printed', () => events.some((e) => e.envelope.type === 'CallEnded'), 20_000);
      const types = events.map((e) => e.envelope.type);
      expect(types.slice(0, 2)).toEqual(['CallCreated', 'LegInitiated']);
      expect(types).toContain('LegEnded');
      const positions = events.map((e) => e.envelope.globalPosition);
      expect(positions).toEqual([...positions].sort((a, b) => a - b));
      watcher.kill('SIGINT');
      expect(await exited).toBe(0);
    } finally {
      watcher.kill('SIGKILL');
    }
    expect((await callctl('get', callId)).stdout).toMatch(/ended cause=remote-hangup/);
  });

  it('prints the orchestrator refusals as "error: <code>: <message>" with exit 1', async () => {
    const unknown = await callctl('get', randomUUID());
    expect(unknown.code).toBe(1);
    expect(unknown.stderr).toMatch(/^error: NOT_FOUND: .+\n$/);

    const badUri = await callctl('dial', 'not a sip uri');
    expect(badUri.code).toBe(1);
    expect(badUri.stderr).toMatch(/^error: INVALID_ARGUMENT: .+\n$/);

    const { callId, legId } = await offerInboundCall();
    await shown(callId, `leg ${legId}`);
    const notAnswered = await callctl('collect', callId, legId, '--max-digits', '4');
    expect(notAnswered.code).toBe(1);
    expect(notAnswered.stderr).toMatch(/^error: FAILED_PRECONDITION: .+\n$/);

    const noLeg = await callctl('answer', callId, randomUUID());
    expect(noLeg.code).toBe(1);
    expect(noLeg.stderr).toMatch(/^error: NOT_FOUND: .+\n$/);
  });

  it('reports sip-edge being down when answering needs it', async () => {
    const { callId, legId } = await offerInboundCall();
    await shown(callId, `leg ${legId}`);
    const result = await callctl('answer', callId, legId);
    expect(result.code).toBe(1);
    expect(result.stderr).toMatch(/^error: (UNAVAILABLE|DEADLINE_EXCEEDED): .+\n$/);
  });
});
