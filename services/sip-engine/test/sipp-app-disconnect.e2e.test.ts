// The app that owns a dialog goes away mid-call (research doc 7.8: the SIP side stays up, nobody else may
// answer for the dialog): the caller's later BYE gets 481.
import { runSipp, waitFor } from '@callctl/testing';
import { scenario, startEngine, startSrfApp, type EngineProcess } from './harness/engine-process.js';
import { expectSippPassed } from './harness/sipp-expect.js';

jest.setTimeout(60_000);

describe('sipp caller -> engine -> srf createUAS, then the app disconnects', () => {
  let engine: EngineProcess;

  beforeAll(async () => {
    engine = await startEngine();
  });
  afterAll(async () => {
    await engine?.stop();
  });

  it.each(['udp', 'tcp'] as const)(
    'answers 481 over %s to a BYE for a dialog whose app is gone',
    async (transport) => {
      const app = await startSrfApp('srf-uas', { engine, env: { LOG_DIALOGS: '1' } });
      try {
        const caller = runSipp({
          scenario: scenario('uac-call-hold-bye-expect-481.xml'),
          remote: `127.0.0.1:${engine.sipPort}`,
          transport,
          timeoutMs: 30_000,
          // the call is held this long before the BYE; the app is stopped as soon as the call is up
          args: ['-d', '4000'],
        });
        await waitFor('the call to be established', () => app.output().includes('dialog up '), 10_000);
        await app.stop();
        expectSippPassed(await caller, 1);
      } finally {
        await app.stop();
      }
    },
  );
});
