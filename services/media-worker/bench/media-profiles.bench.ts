// What the media profiles cost rtpengine: N calls between two plain PCMU ends (test endpoints on loopback,
// 50 packets/s each way, a tone), first relayed plain, then with an SDES-SRTP leg, then with a WebRTC leg
// (ICE, DTLS-SRTP, rtcp-mux). rtpengine keys one side of a session only, so an encrypted leg is made by
// two of its own sessions facing each other (the second is the first's "phone" or "browser", as in the
// int test): the SDES and WebRTC figures are for two encrypted ends, both in this rtpengine, and for two
// sessions per call. An own userspace rtpengine; its CPU from /proc/<pid>/stat over a window. Also the
// time to set a call up (offers and answers) in each profile.
// Run: `BENCH=media-profiles make bench` or `node --import tsx services/media-worker/bench/media-profiles.bench.ts`.
import { randomUUID } from 'node:crypto';
import { createLogger } from '@callctl/logging';
import { cpuMs, RtpEndpoint, startRtpengine } from '@callctl/testing';
import { NgClient } from '../src/adapters/rtpengine/ng-client.js';
import { rtpengineRelay } from '../src/adapters/rtpengine/session-commands.js';
import type { MediaRelay } from '../src/app/ports.js';
import type { MediaProfile } from '../src/domain/media-profile.js';

const CALLS = Number(process.env.CALLS ?? 20);
const WINDOW_MS = 8_000;
const SETTLE_MS = 1500;

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** A call between `a` and `b`: direct (plain), or across an encrypted leg between two sessions. */
async function connect(relay: MediaRelay, a: RtpEndpoint, b: RtpEndpoint, leg: MediaProfile): Promise<void> {
  if (leg === 'plain') {
    const sessionId = `bench-${randomUUID()}`;
    b.useRemote(await relay.offer({ sessionId, fromTag: 'a', sdp: a.sdp(), profile: 'plain' }));
    a.useRemote(await relay.answer({ sessionId, fromTag: 'a', toTag: 'b', sdp: b.sdp(), profile: 'plain' }));
    return;
  }
  const [first, second] = [`bench-${randomUUID()}`, `bench-${randomUUID()}`];
  const keyed = await relay.offer({ sessionId: first, fromTag: 'a', sdp: a.sdp(), profile: leg });
  b.useRemote(await relay.offer({ sessionId: second, fromTag: 'far', sdp: keyed, profile: 'plain' }));
  const keyedAnswer = await relay.answer({
    sessionId: second,
    fromTag: 'far',
    toTag: 'b',
    sdp: b.sdp(),
    profile: leg,
  });
  a.useRemote(
    await relay.answer({ sessionId: first, fromTag: 'a', toTag: 'far', sdp: keyedAnswer, profile: 'plain' }),
  );
}

async function main(): Promise<void> {
  const engine = await startRtpengine();
  const pid = engine.process.child.pid;
  if (pid === undefined) throw new Error('rtpengine has no pid');
  const ng = new NgClient({
    host: '127.0.0.1',
    port: engine.ngPort,
    timeoutMs: 3000,
    log: createLogger({ service: 'media-profiles-bench', level: 'silent' }),
  });
  const relay = rtpengineRelay(ng);
  const rows: string[] = [];
  const cpu: Partial<Record<MediaProfile, number>> = {};
  try {
    for (const leg of ['plain', 'sdes', 'webrtc'] as const) {
      const ends: RtpEndpoint[] = [];
      const t0 = performance.now();
      for (let i = 0; i < CALLS; i++) {
        const [a, b] = [await RtpEndpoint.open(), await RtpEndpoint.open()];
        ends.push(a, b);
        await connect(relay, a, b, leg);
      }
      const setupMs = (performance.now() - t0) / CALLS;
      for (const [i, end] of ends.entries()) end.startTone(i % 2 === 0 ? 600 : 1400);
      await sleep(SETTLE_MS);
      const received = () => ends.reduce((sum, end) => sum + end.packetsReceived, 0);
      const [cpu0, packets0, w0] = [cpuMs(pid), received(), performance.now()];
      await sleep(WINDOW_MS);
      const seconds = (performance.now() - w0) / 1000;
      const percent = ((cpuMs(pid) - cpu0) / 1000 / seconds) * 100;
      const heard = ends.filter((end, i) => end.recentToneRatio(i % 2 === 0 ? 1400 : 600) > 0.5).length;
      cpu[leg] = percent;
      rows.push(
        `  ${leg.padEnd(6)} ${percent.toFixed(1).padStart(5)} % of a core (${(percent / CALLS).toFixed(3)} %/call), ` +
          `${((received() - packets0) / seconds).toFixed(0)} packets/s delivered, ${heard}/${ends.length} ends hear ` +
          `their peer's tone, set-up ${setupMs.toFixed(1)} ms/call`,
      );
      await Promise.all(ends.map((end) => end.stopTone()));
      await Promise.all(ends.map((end) => end.close()));
      for (const id of await engine.listCalls()) await engine.deleteCall(id);
    }
    console.log(
      `rtpengine, ${CALLS} PCMU calls per profile, RTP both ways, ${WINDOW_MS / 1000} s window each`,
    );
    for (const row of rows) console.log(row);
    const base = Math.max(cpu.plain ?? 0, 0.01);
    console.log(
      `  ratio to plain: sdes ${((cpu.sdes ?? 0) / base).toFixed(2)}x, webrtc ${((cpu.webrtc ?? 0) / base).toFixed(2)}x ` +
        `(sdes and webrtc: two sessions and two encrypted ends per call; CPU from /proc/${pid}/stat, 10 ms ticks)`,
    );
  } finally {
    ng.close();
    await engine.stop();
  }
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
