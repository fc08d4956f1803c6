// sipp as the caller, the engine process in the middle, the published drachtio-srf as the called app
// (harness/srf-uas.ts: res.send(180) then srf.createUAS). Each scenario file says what it expects on the
// wire; a scenario that exits 0 with every call successful is the pass.
import { runSipp, type ManagedProcess, type SippOptions, type SippTransport } from '@callctl/testing';
import { expectSippPassed, sippMessages } from './harness/sipp-expect.js';
import { scenario, startEngine, startSrfApp, type EngineProcess } from './harness/engine-process.js';

jest.setTimeout(60_000);

describe.each<SippTransport>(['udp', 'tcp'])(
  'sipp caller -> engine -> srf createUAS over %s',
  (transport) => {
    let engine: EngineProcess;
    let app: ManagedProcess;

    beforeAll(async () => {
      engine = await startEngine();
      app = await startSrfApp('srf-uas', { engine });
    });
    afterAll(async () => {
      await app?.stop();
      await engine?.stop();
    });

    const call = (file: string, options: Partial<SippOptions> = {}) =>
      runSipp({
        scenario: scenario(file),
        remote: `127.0.0.1:${engine.sipPort}`,
        transport,
        timeoutMs: 20_000,
        ...options,
      });

    it('completes INVITE / 100 / 180 / 200 / ACK / BYE / 200', async () => {
      const result = await call('uac-call-expect-200.xml', { calls: 3, rate: 10 });
      expectSippPassed(result, 3);
    });

    it('answers 200 to CANCEL and 487 to the INVITE when the caller gives up while it rings', async () => {
      const result = await call('uac-cancel-expect-487.xml', { service: 'slow-cancel' });
      expectSippPassed(result, 1);
    });

    it('answers a CANCEL that crosses the 200 with 481 and hangs up the answered call with a BYE', async () => {
      const result = await call('uac-cancel-after-200-expect-481-bye.xml');
      expectSippPassed(result, 1);
      const bye = sippMessages(result).find((m) => m.direction === 'received' && m.text.startsWith('BYE '));
      // The BYE says why (research doc 7.7): the CANCEL came after the 200.
      expect(bye?.text).toMatch(/^Reason:.*CANCEL/im);
    });

    it('answers 482 to a merged INVITE (same Call-ID, From tag and CSeq on another branch)', async () => {
      expectSippPassed(await call('uac-merged-invite-expect-482.xml', { service: 'slow-merged' }), 1);
    });

    it('absorbs the ACK for a 486 from the app (no retransmitted 486 follows)', async () => {
      // -nr: a 486 retransmitted because the ACK went unmatched would be an unexpected message.
      const args = transport === 'udp' ? ['-nr'] : [];
      expectSippPassed(await call('uac-call-expect-486.xml', { service: 'busy-here', args }), 1);
    });

    it('passes INFO, OPTIONS, MESSAGE and UPDATE to the dialog (200), ends it on BYE, answers a later BYE 481', async () => {
      expectSippPassed(await call('uac-in-dialog-requests-then-bye-twice.xml'), 1);
    });

    it("re-INVITEs the caller from the app (dialog.modify) and ACKs the caller's 200", async () => {
      expectSippPassed(await call('uac-call-expect-reinvite.xml', { service: 'hold-me' }), 1);
    });

    it('answers a re-INVITE from the caller inside the call with 200 and SDP', async () => {
      const result = await call('uac-reinvite-expect-200.xml');
      expectSippPassed(result, 1);
    });
  },
);
