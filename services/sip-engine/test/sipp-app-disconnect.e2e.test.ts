// Apps come and go (research doc 7.8 and 11.3 items 2 and 18): with no app routing INVITE a call gets 503;
// when the app that owns a dialog goes away mid-call, the caller's later BYE gets 481 (nobody else may
// answer for the dialog); an app that connects afterwards gets the new calls.
import { runSipp, waitFor, type SippTransport } from '@callctl/testing';
import { scenario, startEngine, startSrfApp, type EngineProcess } from './harness/engine-process.js';
import { expectSippPassed } from './harness/sipp-expect.js';

jest.setTimeout(60_000);

describe.each<SippTransport>(['udp', 'tcp'])(
  'sipp caller -> engine over %s, apps coming and going',
  (transport) => {
    let engine: EngineProcess;

    beforeAll(async () => {
      engine = await startEngine();
    });
    afterAll(async () => {
      await engine?.stop();
    });

    const call = (file: string, args: string[] = []) =>
      runSipp({
        scenario: scenario(file),
        remote: `127.0.0.1:${engine.sipPort}`,
        transport,
        timeoutMs: 30_000,
        // -nr over UDP: a 503 retransmitted because its ACK went unmatched would be unexpected
        args: [...(transport === 'udp' && file.includes('503') ? ['-nr'] : []), ...args],
      });

    it('answers 503 to an INVITE while no app is connected', async () => {
      expectSippPassed(await call('uac-call-expect-503.xml'), 1);
    });

    it('answers 481 to a BYE for a dialog whose app is gone', async () => {
      const app = await startSrfApp('srf-uas', { engine, env: { LOG_DIALOGS: '1' } });
      try {
        // the call is held 4 s before the BYE; the app is stopped as soon as the call is up
        const caller = call('uac-call-hold-bye-expect-481.xml', ['-d', '4000']);
        await waitFor('the call to be established', () => app.output().includes('dialog up '), 10_000);
        await app.stop();
        expectSippPassed(await caller, 1);
      } finally {
        await app.stop();
      }
    });

    it('gives new calls to an app that connected after the previous one left', async () => {
      await (await startSrfApp('srf-uas', { engine })).stop();
      const app = await startSrfApp('srf-uas', { engine });
      try {
        expectSippPassed(await call('uac-call-expect-200.xml'), 1);
      } finally {
        await app.stop();
      }
    });
  },
);
