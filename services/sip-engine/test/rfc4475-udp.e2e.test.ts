// RFC 4475 torture messages sent byte-exact to a running engine process over its real UDP listener, each
// judged by the role-neutral `expect` of the project's table (@callctl/sip/rfc4475; no app is connected, so
// a legal request is answered by the engine itself, normally 503). After every message the engine must
// still be alive and answer an OPTIONS within 2 s. Requests get one Via of ours on top, so the answer comes
// back to this test's socket (their own Vias name example.com hosts); responses are sent as stored.
import { randomBytes } from 'node:crypto';
import { RFC4475_MESSAGES as expectations, rfc4475Bytes } from '@callctl/sip/rfc4475';
import { startEngine, type EngineProcess } from './harness/engine-process.js';
import { UdpPeer, type WireResponse } from './harness/udp-peer.js';

/** How long to wait before deciding that nothing comes back ("discard"). */
const QUIET_MS = 800;
/** How long a final response may take when one is expected. */
const ANSWER_MS = 3000;

/** Inserts our Via right after the start line; nothing else changes (Content-Length is unaffected). */
function withOurVia(data: Buffer, port: number): Buffer {
  const eol = data.indexOf('\r\n');
  const via = `Via: SIP/2.0/UDP 127.0.0.1:${port};rport;branch=z9hG4bK${randomBytes(8).toString('hex')}\r\n`;
  return Buffer.concat([data.subarray(0, eol + 2), Buffer.from(via), data.subarray(eol + 2)]);
}

/** Does the final response (or its absence) satisfy an expectation like `400`, `4xx|5xx`, `not-400,483`? */
function satisfies(final: WireResponse | undefined, expect: string): boolean {
  return expect.split('|').some((alt) => {
    if (alt === 'discard') return final === undefined;
    if (final === undefined) return false;
    if (alt === 'any-response') return true;
    if (alt.startsWith('not-')) return !alt.slice(4).split(',').includes(String(final.status));
    if (/^\dxx$/.test(alt)) return String(final.status)[0] === alt[0];
    return String(final.status) === alt;
  });
}

describe('sip-engine over UDP: RFC 4475 torture messages', () => {
  let engine: EngineProcess;
  let probe: UdpPeer;

  beforeAll(async () => {
    engine = await startEngine();
    probe = await UdpPeer.open();
  });
  afterAll(async () => {
    await probe?.close();
    await engine?.stop();
  });

  it.each(expectations.map((e) => [`${e.file} (${e.section} ${e.title}): ${e.expect}`, e] as const))(
    '%s',
    async (_name, expectation) => {
      const peer = await UdpPeer.open();
      try {
        const stored = rfc4475Bytes(expectation.file);
        const data = expectation.kind === 'request' ? withOurVia(stored, peer.port) : stored;
        await peer.send(data, engine.sipPort);
        const mayDiscard = expectation.expect.split('|').includes('discard');
        const responses = await peer.collect(
          // Wait the full quiet period whenever silence would be an acceptable (or required) outcome.
          (all) => !mayDiscard && all.some((r) => r.status >= 200),
          mayDiscard ? QUIET_MS : ANSWER_MS,
        );
        const final = responses.find((r) => r.status >= 200);
        const seen = responses.map((r) => `${r.status} ${r.reason}`).join(', ') || 'nothing';
        expect({ file: expectation.file, satisfied: satisfies(final, expectation.expect), seen }).toEqual({
          file: expectation.file,
          satisfied: true,
          seen,
        });
        if (final?.status === 400) {
          // A 400 must say what was wrong, not just "Bad Request".
          expect(final.reason).not.toMatch(/^(Bad Request)?$/i);
        }
        const needed = expectation.responseHeader;
        if (needed && final?.status === needed.status) {
          const value = final.header(needed.name);
          expect(value).toBeDefined();
          expect(needed.anyOf.some((tag) => value!.includes(tag))).toBe(true);
        }
        if (expectation.neverAnsweredCallId) {
          await peer.collect(() => false, QUIET_MS);
          const forbidden = peer
            .responses()
            .filter((r) => r.header('Call-ID') === expectation.neverAnsweredCallId);
          expect(forbidden.map((r) => r.status)).toEqual([]);
        }
      } finally {
        await peer.close();
      }
      // Whatever the message did, the engine is still up and answering.
      expect(engine.process.child.exitCode).toBeNull();
      const options = await probe.options(engine.sipPort);
      expect(options?.status).toBeGreaterThanOrEqual(200);
    },
  );
});
