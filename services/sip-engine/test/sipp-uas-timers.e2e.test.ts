// The engine's 2xx timers as a sipp caller sees them: the 200 is retransmitted until the ACK comes (UDP),
// and without any ACK the engine gives up after 64*T1 and hangs up with a BYE. T1 is shortened to 100 ms
// (64*T1 = 6.4 s) so the runs stay short; the behaviour, not the duration, is asserted.
import { runSipp, type ManagedProcess, type SippTransport } from '@callctl/testing';
import { scenario, startEngine, startSrfApp, type EngineProcess } from './harness/engine-process.js';
import { expectSippPassed, sippMessages } from './harness/sipp-expect.js';

jest.setTimeout(60_000);

const T1_MS = 100;

describe('sipp caller -> engine -> srf createUAS: 2xx retransmission and ACK timeout', () => {
  let engine: EngineProcess;
  let app: ManagedProcess;

  beforeAll(async () => {
    engine = await startEngine({ t1Ms: T1_MS });
    app = await startSrfApp('srf-uas', { engine });
  });
  afterAll(async () => {
    await app?.stop();
    await engine?.stop();
  });

  const call = (file: string, transport: SippTransport) =>
    runSipp({
      scenario: scenario(file),
      remote: `127.0.0.1:${engine.sipPort}`,
      transport,
      timeoutMs: 30_000,
      // -nr: sipp must not absorb the engine's retransmissions itself; the scenarios expect them.
      args: transport === 'udp' ? ['-nr'] : [],
    });

  it('retransmits the 200 over UDP until the caller ACKs it', async () => {
    expectSippPassed(await call('uac-ignore-first-200-expect-retransmit.xml', 'udp'), 1);
  });

  it.each<SippTransport>(['udp', 'tcp'])(
    'sends a BYE over %s when the 200 is never ACKed',
    async (transport) => {
      const result = await call('uac-no-ack-expect-bye.xml', transport);
      expectSippPassed(result, 1);
      const received = sippMessages(result).filter((m) => m.direction === 'received');
      // The BYE is sent to the caller's Contact.
      expect(received.some((m) => /^BYE sip:sipp@127\.0\.0\.1:\d+/.test(m.text))).toBe(true);
      const invite200s = received.filter(
        (m) => /^SIP\/2\.0 200/.test(m.text) && /^CSeq:\s*1 INVITE/m.test(m.text),
      );
      // Retransmissions are for UDP only: over TCP the 200 comes once, over UDP more than once.
      if (transport === 'tcp') expect(invite200s).toHaveLength(1);
      else expect(invite200s.length).toBeGreaterThan(1);
    },
  );
});
