// Route sets with a real record-routing proxy (Kamailio) in the path, over UDP:
//   caller side:  sipp -> Kamailio -> engine + srf createUAS: the engine's 200 must carry the Record-Route
//                 (or the caller's ACK and BYE, loose-routed through Kamailio, never arrive), and the
//                 engine's own in-dialog request (the BYE after a missing ACK) must go through Kamailio.
//   callee side:  sipp -> engine + srf createB2BUA -> Kamailio -> sipp: the engine's ACK and BYE on the B leg
//                 must follow the route set from the callee's 200, i.e. arrive through Kamailio.
import { freePort, runSipp, startSipp, type ManagedProcess } from '@callctl/testing';
import { scenario, startEngine, startSrfApp, type EngineProcess } from './harness/engine-process.js';
import { startKamailioProxy, type KamailioProxy } from './harness/kamailio-proxy.js';
import { expectSippPassed, sippMessages, type SippMessage } from './harness/sipp-expect.js';

jest.setTimeout(60_000);

/** The sent-by port of the top Via of a message. */
function topViaPort(message: SippMessage | undefined): number | undefined {
  const port = /^Via:[^\r\n]*?\d+\.\d+\.\d+\.\d+:(\d+)/im.exec(message?.text ?? '')?.[1];
  return port === undefined ? undefined : Number(port);
}

describe('sipp -> Kamailio (record-route) -> engine + srf createUAS', () => {
  let engine: EngineProcess;
  let app: ManagedProcess;
  let proxy: KamailioProxy;

  beforeAll(async () => {
    // A short T1 so that the no-ACK case ends in 64*T1 = 6.4 s.
    engine = await startEngine({ t1Ms: 100 });
    app = await startSrfApp('srf-uas', { engine });
    proxy = await startKamailioProxy({ enginePort: engine.sipPort, calleePort: await freePort() });
  });
  afterAll(async () => {
    await proxy?.stop();
    await app?.stop();
    await engine?.stop();
  });

  it('completes a call whose ACK and BYE are loose-routed through the proxy', async () => {
    const result = await runSipp({
      scenario: scenario('uac-call-expect-200.xml'),
      remote: `127.0.0.1:${proxy.port}`,
      timeoutMs: 20_000,
    });
    expectSippPassed(result, 1);
    const ok = sippMessages(result).find(
      (m) =>
        m.direction === 'received' && /CSeq:\s*1 INVITE/.test(m.text) && m.text.startsWith('SIP/2.0 200'),
    );
    expect(ok?.text).toMatch(new RegExp(`^Record-Route:.*127\\.0\\.0\\.1:${proxy.port}`, 'im'));
  });

  it('sends its own BYE (after the missing ACK) along the route set, through the proxy', async () => {
    const result = await runSipp({
      scenario: scenario('uac-no-ack-expect-bye.xml'),
      remote: `127.0.0.1:${proxy.port}`,
      timeoutMs: 30_000,
      args: ['-nr'],
    });
    expectSippPassed(result, 1);
    const bye = sippMessages(result).find((m) => m.direction === 'received' && m.text.startsWith('BYE '));
    expect(topViaPort(bye)).toBe(proxy.port);
  });
});

describe('sipp -> engine + srf createB2BUA -> Kamailio (record-route) -> sipp', () => {
  let engine: EngineProcess;
  let app: ManagedProcess;
  let proxy: KamailioProxy;
  let calleePort: number;

  beforeAll(async () => {
    engine = await startEngine();
    calleePort = await freePort();
    proxy = await startKamailioProxy({ enginePort: engine.sipPort, calleePort });
    app = await startSrfApp('srf-b2bua', {
      engine,
      env: { B2BUA_TARGET: `sip:callee@127.0.0.1:${proxy.port}` },
    });
  });
  afterAll(async () => {
    await app?.stop();
    await proxy?.stop();
    await engine?.stop();
  });

  it('sends the B-leg ACK and BYE along the route set the callee answered with', async () => {
    const callee = await startSipp({
      scenario: scenario('uas-answer-record-route-expect-bye.xml'),
      port: calleePort,
      timeoutMs: 20_000,
    });
    const caller = await runSipp({
      scenario: scenario('uac-call-expect-200.xml'),
      remote: `127.0.0.1:${engine.sipPort}`,
      timeoutMs: 20_000,
    });
    expectSippPassed(caller, 1);
    const b = await callee.result;
    expectSippPassed(b, 1);
    const received = sippMessages(b).filter((m) => m.direction === 'received');
    const ack = received.find((m) => m.text.startsWith('ACK '));
    const bye = received.find((m) => m.text.startsWith('BYE '));
    expect({ ack: topViaPort(ack), bye: topViaPort(bye) }).toEqual({ ack: proxy.port, bye: proxy.port });
  });
});
