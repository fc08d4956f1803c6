// sip-edge as a process: configuration errors, and a clean exit on SIGTERM whether or not the SIP engine
// went away first.
import { join } from 'node:path';
import { RtpEndpoint, startProcess, startSipp } from '@callctl/testing';
import { startEdgeUnderTest, type EdgeUnderTest } from './support/edge-under-test.js';

jest.setTimeout(60_000);

const MAIN = join(__dirname, '..', 'dist', 'src', 'main.js');

describe('sip-edge process', () => {
  let t: EdgeUnderTest;

  beforeAll(async () => {
    t = await startEdgeUnderTest();
  });
  afterAll(async () => {
    await t?.close();
  });

  it('drains and exits 0 on SIGTERM after its SIP engine stopped', async () => {
    await t.engine.stop();
    t.sipEdge.process.child.kill('SIGTERM');
    expect(await t.sipEdge.process.exited).toBe(0);
    expect(t.sipEdge.output()).toContain('"msg":"stopped"');
    expect(t.sipEdge.output()).not.toContain('close failed');
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

  const call = async (testCase: string, scenario: string) => {
    const rtp = await RtpEndpoint.open();
    try {
      const sipp = await startSipp({
        scenario: join(__dirname, 'scenarios', scenario),
        remote: `127.0.0.1:${t.engine.sipPort}`,
        service: testCase,
        args: ['-key', 'rtp_port', String(rtp.port)],
      });
      return await sipp.result;
    } finally {
      await rtp.close();
    }
  };

  it('refuses a call it cannot record with 503, and takes calls again once NATS is back', async () => {
    await t.nats.halt();
    t.expectSippSucceeded(await call('no-nats', 'uac-expect-503.xml'));
    await t.nats.restart();
    const later = call('nats-back', 'uac-expect-480.xml');
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
