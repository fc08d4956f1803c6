// What rtpengine's `inject DTMF` costs: it puts a call through the transcoder even for PCMU<->PCMU, which is
// why the worker turns it on per session at the first SendDtmf instead of on every call. N relayed
// PCMU<->PCMU calls with RTP flowing both ways (test endpoints on loopback, 50 packets/s each way), an own
// rtpengine (userspace, no kernel forwarding), its CPU read from /proc/<pid>/stat over a window: first
// plain relaying, then the same calls re-negotiated with inject DTMF (the worker's own re-offer).
// Run: `BENCH=inject-dtmf make bench` or `node --import tsx services/media-worker/bench/inject-dtmf.bench.ts`.
import { randomUUID } from 'node:crypto';
import { createLogger } from '@callctl/logging';
import { cpuMs, startRtpengine } from '@callctl/testing';
import { NgClient } from '../src/adapters/rtpengine/ng-client.js';
import { rtpengineRelay } from '../src/adapters/rtpengine/session-commands.js';
import type { AnswerParams, OfferParams } from '../src/app/ports.js';
import { DtmfProbe } from '../test/support/dtmf-probe.js';

const CALLS = Number(process.env.CALLS ?? 40);
const WINDOW_MS = 10_000;
const SETTLE_MS = 1500;

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

async function main(): Promise<void> {
  const engine = await startRtpengine();
  const pid = engine.process.child.pid;
  if (pid === undefined) throw new Error('rtpengine has no pid');
  const ng = new NgClient({
    host: '127.0.0.1',
    port: engine.ngPort,
    timeoutMs: 3000,
    log: createLogger({ service: 'inject-dtmf-bench', level: 'silent' }),
  });
  const relay = rtpengineRelay(ng);
  const calls: Array<{ offer: OfferParams; answer: AnswerParams; a: DtmfProbe; b: DtmfProbe }> = [];
  try {
    for (let i = 0; i < CALLS; i++) {
      const a = await DtmfProbe.open({ telephoneEvent: true });
      const b = await DtmfProbe.open({ telephoneEvent: true });
      const sessionId = `bench-${randomUUID()}`;
      const offer: OfferParams = { sessionId, fromTag: 'a', sdp: a.sdp() };
      const toB = await relay.offer(offer);
      const answer: AnswerParams = { sessionId, fromTag: 'a', toTag: 'b', sdp: b.sdp() };
      const toA = await relay.answer(answer);
      b.useRemote(toB);
      a.useRemote(toA);
      calls.push({ offer, answer, a, b });
    }
    const measure = async () => {
      await sleep(SETTLE_MS);
      const packets = () => calls.reduce((sum, c) => sum + c.a.audioPackets + c.b.audioPackets, 0);
      const [cpu0, packets0, t0] = [cpuMs(pid), packets(), performance.now()];
      await sleep(WINDOW_MS);
      const seconds = (performance.now() - t0) / 1000;
      return {
        cpuPercent: ((cpuMs(pid) - cpu0) / 1000 / seconds) * 100,
        packetsPerS: (packets() - packets0) / seconds,
      };
    };
    const plain = await measure();
    for (const call of calls) {
      await relay.offer({ ...call.offer, injectDtmf: true });
      await relay.answer({ ...call.answer, injectDtmf: true });
    }
    const injected = await measure();
    const perCall = (percent: number) => (percent / CALLS).toFixed(3);
    console.log(
      `rtpengine ${CALLS} relayed PCMU<->PCMU calls, RTP both ways, ${WINDOW_MS / 1000} s window each`,
    );
    console.log(
      `  plain relay:     ${plain.cpuPercent.toFixed(1)} % of a core (${perCall(plain.cpuPercent)} %/call), ` +
        `${plain.packetsPerS.toFixed(0)} packets/s delivered`,
    );
    console.log(
      `  inject DTMF on:  ${injected.cpuPercent.toFixed(1)} % of a core (${perCall(injected.cpuPercent)} %/call), ` +
        `${injected.packetsPerS.toFixed(0)} packets/s delivered`,
    );
    console.log(
      `  ratio inject/plain: ${(injected.cpuPercent / Math.max(plain.cpuPercent, 0.01)).toFixed(2)}x ` +
        `(CPU from /proc/${pid}/stat, 10 ms ticks)`,
    );
  } finally {
    await Promise.all(calls.flatMap((c) => [c.a.close(), c.b.close()]));
    ng.close();
    await engine.stop();
  }
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
