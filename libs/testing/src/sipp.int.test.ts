import { freePort } from './ports.js';
import { runSipp, startSipp } from './sipp.js';

describe('sipp fixture (real sipp, built-in scenarios, loopback)', () => {
  it.each(['udp', 'tcp'] as const)('counts the calls of a uac -> uas run over %s', async (transport) => {
    const uas = await startSipp({ scenario: { builtin: 'uas' }, transport, calls: 3, timeoutMs: 20_000 });
    const uac = await runSipp({
      scenario: { builtin: 'uac' },
      remote: `127.0.0.1:${uas.port}`,
      transport,
      calls: 3,
      rate: 30,
      timeoutMs: 20_000,
    });
    const served = await uas.stop();
    expect({ exit: uac.exitCode, ok: uac.successfulCalls, failed: uac.failedCalls }).toEqual({
      exit: 0,
      ok: 3,
      failed: 0,
    });
    expect(uac.outgoingCalls).toBe(3);
    expect(served.incomingCalls).toBe(3);
    expect(uac.messages).toContain('INVITE sip:');
  });

  it('reports a failed run with its exit status and errors when nobody answers', async () => {
    const silent = await freePort();
    const uac = await runSipp({
      scenario: { builtin: 'uac' },
      remote: `127.0.0.1:${silent}`,
      calls: 1,
      timeoutMs: 2000,
      args: ['-recv_timeout', '1000'],
    });
    expect(uac.exitCode).not.toBe(0);
    expect(uac.successfulCalls).toBe(0);
    expect(uac.failedCalls).toBe(1);
    expect(uac.describe()).toMatch(/^sipp exit \d+/);
  });
});
