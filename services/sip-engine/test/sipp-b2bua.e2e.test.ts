// sipp caller -> engine -> drachtio-srf createB2BUA (harness/srf-b2bua.ts) -> engine -> sipp callee, over
// UDP and TCP. Both sipps run scenario files that state what each side must see; the B2BUA's target is a
// fixed port on which each test starts its own sipp callee.
import { freePort, runSipp, startSipp, type SippOptions, type SippTransport } from '@callctl/testing';
import { scenario, startEngine, startSrfApp } from './harness/engine-process.js';
import { expectSippPassed } from './harness/sipp-expect.js';

jest.setTimeout(60_000);

/** An engine with the harness B2BUA connected, bridging every call to a sipp callee's port on `transport`. */
async function startB2bua(transport: SippTransport) {
  const engine = await startEngine();
  const calleePort = await freePort();
  const param = transport === 'tcp' ? ';transport=tcp' : '';
  const app = await startSrfApp('srf-b2bua', {
    engine,
    env: { B2BUA_TARGET: `sip:callee@127.0.0.1:${calleePort}${param}` },
  }).catch(async (error: unknown) => {
    await engine.stop();
    throw error;
  });
  return {
    engine,
    calleePort,
    stop: async () => {
      await app.stop();
      await engine.stop();
    },
  };
}

describe.each<SippTransport>(['udp', 'tcp'])(
  'sipp -> engine -> srf createB2BUA -> sipp over %s',
  (transport) => {
    let rig: Awaited<ReturnType<typeof startB2bua>>;

    beforeAll(async () => {
      rig = await startB2bua(transport);
    });
    afterAll(async () => {
      await rig?.stop();
    });

    const callee = (file: string, options: Partial<SippOptions> = {}) =>
      startSipp({ scenario: scenario(file), port: rig.calleePort, transport, timeoutMs: 20_000, ...options });
    const caller = (file: string) =>
      runSipp({
        scenario: scenario(file),
        remote: `127.0.0.1:${rig.engine.sipPort}`,
        transport,
        timeoutMs: 20_000,
      });

    it('bridges a call: 180 and 200 from the callee reach the caller, the caller BYE reaches the callee', async () => {
      const b = await callee('uas-answer-expect-bye.xml');
      const a = await caller('uac-call-expect-200.xml');
      expectSippPassed(a, 1);
      expectSippPassed(await b.result, 1);
    });

    it('ends the call towards the caller when the callee hangs up', async () => {
      const b = await callee('uas-answer-then-bye.xml');
      const a = await caller('uac-call-expect-bye.xml');
      expectSippPassed(a, 1);
      expectSippPassed(await b.result, 1);
    });

    it('ACKs a busy callee on the INVITE branch and passes the 486 back to the caller', async () => {
      const b = await callee('uas-busy-expect-ack.xml');
      const a = await caller('uac-call-expect-486.xml');
      expectSippPassed(a, 1);
      expectSippPassed(await b.result, 1);
    });

    it('passes the caller CANCEL on to the ringing callee, both legs end with 487', async () => {
      const b = await callee('uas-ring-expect-cancel.xml');
      const a = await caller('uac-cancel-expect-487.xml');
      expectSippPassed(a, 1);
      expectSippPassed(await b.result, 1);
    });

    it('passes on a CANCEL that came before the callee rang, once it rings (CANCEL held until a 1xx)', async () => {
      const b = await callee('uas-ring-late-expect-cancel.xml');
      const a = await caller('uac-quick-cancel-expect-487.xml');
      expectSippPassed(a, 1);
      expectSippPassed(await b.result, 1);
    });

    if (transport === 'udp') {
      it('retransmits the INVITE to a callee that ignores the first one (timer A)', async () => {
        const b = await callee('uas-ignore-first-invite-expect-retransmit.xml', { args: ['-nr'] });
        const a = await caller('uac-call-expect-200.xml');
        expectSippPassed(a, 1);
        expectSippPassed(await b.result, 1);
      });
    }
  },
);

describe('sipp over TCP -> engine -> srf createB2BUA -> sipp over UDP', () => {
  let rig: Awaited<ReturnType<typeof startB2bua>>;

  beforeAll(async () => {
    rig = await startB2bua('udp');
  });
  afterAll(async () => {
    await rig?.stop();
  });

  it('bridges the two transports both ways (INVITE, ACK and BYE)', async () => {
    const b = await startSipp({
      scenario: scenario('uas-answer-expect-bye.xml'),
      port: rig.calleePort,
      transport: 'udp',
      timeoutMs: 20_000,
    });
    const a = await runSipp({
      scenario: scenario('uac-call-expect-200.xml'),
      remote: `127.0.0.1:${rig.engine.sipPort}`,
      transport: 'tcp',
      timeoutMs: 20_000,
    });
    expectSippPassed(a, 1);
    expectSippPassed(await b.result, 1);
  });
});
