// The engine process's front-door screening seen from sipp: a source that floods is banned (Kamailio's
// defaults: more than 16 requests in a 2 s sample) and hears nothing more while other sources are served;
// 127.0.0.1 is exempt as the harness configures it; scanners' User-Agents are discarded or rejected.
import { connect } from 'node:net';
import { runSipp, waitFor, type SippOptions } from '@callctl/testing';
import { expectSippPassed } from './harness/sipp-expect.js';
import { scenario, startEngine, type EngineProcess } from './harness/engine-process.js';

jest.setTimeout(60_000);

function register(engine: EngineProcess, source: string, options: Partial<SippOptions> = {}) {
  return runSipp({
    scenario: scenario('uac-register-expect-503.xml'),
    remote: `127.0.0.1:${engine.sipPort}`,
    timeoutMs: 20_000,
    traceMessages: false,
    ...options,
    args: ['-i', source, '-key', 'ua', 'sipp', ...(options.args ?? [])],
  });
}

function scanner(engine: EngineProcess, userAgent: string) {
  return runSipp({
    scenario: scenario('uac-options-expect-403.xml'),
    remote: `127.0.0.1:${engine.sipPort}`,
    timeoutMs: 20_000,
    args: ['-key', 'ua', userAgent],
  });
}

describe('flood ban with the default thresholds (127.0.0.1 exempt)', () => {
  let engine: EngineProcess;
  beforeAll(async () => {
    engine = await startEngine();
  });
  afterAll(async () => {
    await engine?.stop();
  });

  it('bans a source sending 100 REGISTERs at 200/s after its allowance, and it hears nothing more', async () => {
    const flood = await register(engine, '127.0.0.5', { calls: 100, rate: 200 });
    // 16 per aligned 2 s window: the half-second burst may straddle one boundary, so 16 to 32 get answers.
    expect(flood.successfulCalls).toBeGreaterThanOrEqual(16);
    expect(flood.successfulCalls).toBeLessThanOrEqual(32);
    expect(flood.failedCalls).toBe(100 - flood.successfulCalls);
    const after = await register(engine, '127.0.0.5', { calls: 3, rate: 10 });
    expect(after.successfulCalls).toBe(0);
    expect(engine.process.output()).toMatch(
      /"address":"127\.0\.0\.5".*"msg":"flood ban: source sent too many/,
    );
  });

  it('closes at once a TCP connection the banned source opens (a raw socket: sipp would just fail)', async () => {
    const socket = connect({ host: '127.0.0.1', port: engine.sipPort, localAddress: '127.0.0.5' });
    socket.on('error', () => undefined);
    const closed = await new Promise<boolean>((resolve) => {
      socket.once('close', () => resolve(true));
      setTimeout(() => resolve(false), 3000).unref();
    });
    socket.destroy();
    expect(closed).toBe(true);
  });

  it('serves another source while that one is banned', async () => {
    expectSippPassed(await register(engine, '127.0.0.6', { calls: 10, rate: 10 }), 10);
  });

  it('never bans 127.0.0.1, whatever it sends', async () => {
    expectSippPassed(await register(engine, '127.0.0.1', { calls: 300, rate: 300 }), 300);
  });

  it('discards a scanner silently (User-Agent friendly-scanner, in the Kamailio default list)', async () => {
    const result = await scanner(engine, 'friendly-scanner');
    expect(result.successfulCalls).toBe(0);
    expect(result.failedCalls).toBe(1);
    expect(result.messages).not.toMatch(/SIP\/2\.0 \d{3}/);
  });
});

describe('spammers action reject', () => {
  let engine: EngineProcess;
  beforeAll(async () => {
    engine = await startEngine({
      logLevel: 'info',
      env: { SIP_SPAMMERS_ACTION: 'reject', SIP_FLOOD_MAX_REQUESTS: '0' },
    });
  });
  afterAll(async () => {
    await engine?.stop();
  });

  it('answers a scanner 403 Forbidden at once', async () => {
    expectSippPassed(await scanner(engine, 'sipcli/v1.8'), 1);
    // Logged (pino writes asynchronously, so the line may follow the 403).
    await waitFor('the spammer line', () =>
      /"header":"User-Agent","value":"sipcli\/v1\.8".*"msg":"spammer request refused"/.test(
        engine.process.output(),
      ),
    );
  });

  it('lets an ordinary user agent through to the core (503: no app routed REGISTER)', async () => {
    expectSippPassed(await register(engine, '127.0.0.7', { calls: 40, rate: 200 }), 40);
  });
});
