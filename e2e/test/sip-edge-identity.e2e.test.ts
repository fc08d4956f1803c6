// Asserted identity, privacy and reasons on the wire (RFC 3325, RFC 3323, RFC 3326): sip-edge with the
// SIP engine, media-worker and rtpengine, and sipp peers on ports chosen beforehand, some of them in the
// trust domain (SIP_TRUST_DOMAIN_CIDRS names them by 127.0.0.1:<port>), the others not. The sipp scenarios
// check the headers' presence or absence themselves; the exact values are read from their message traces.
import { join } from 'node:path';
import { callEvents, type callControl, type sipEdge } from '@callctl/proto';
import { freePort, RtpEndpoint, startSipp, type RunningSipp, type SippResult } from '@callctl/testing';
import { call, startEdgeUnderTest, type EdgeUnderTest } from '../support/edge-under-test.js';
import { startPlatform, type PlatformUnderTest } from '../support/platform-under-test.js';

jest.setTimeout(60_000);

const SCENARIOS = join(__dirname, '..', 'scenarios');
const C = callEvents.EndCause;

/** The value of `header` in the first `method` request (or response line) of a sipp message trace. */
function headerIn(result: SippResult, firstLine: RegExp, header: string): string | undefined {
  for (const message of result.messages.split(/-{10,}[^\n]*\n/)) {
    const lines = message.replace(/\r/g, '').split('\n');
    const start = lines.findIndex((line) => firstLine.test(line));
    if (start < 0) continue;
    for (const line of lines.slice(start + 1)) {
      if (line.trim() === '') break;
      const colon = line.indexOf(':');
      if (colon > 0 && line.slice(0, colon).trim().toLowerCase() === header.toLowerCase())
        return line.slice(colon + 1).trim();
    }
    return undefined;
  }
  return undefined;
}

describe('sip-edge: asserted identity, privacy and Reason headers (sipp peers in and out of the trust domain)', () => {
  let t: EdgeUnderTest;
  let trustedCallerPort: number;
  let trustedCalleePort: number;
  let trustedCallee2Port: number;
  const endpoints: RtpEndpoint[] = [];
  const sipps: RunningSipp[] = [];

  const edge = <Req, Res>(
    method: (req: Req, cb: (err: Error | null, res: Res) => void) => unknown,
    req: Req,
  ) => call<Req, Res>(method.bind(t.client) as typeof method, req);
  const placeCall = (
    req: Partial<sipEdge.PlaceCallRequest> & { callId: string; legId: string; toUri: string },
  ) =>
    edge<sipEdge.PlaceCallRequest, sipEdge.PlaceCallResponse>(t.client.placeCall, {
      fromUri: '',
      ringTimeoutMs: 0,
      bridgeWithLegId: '',
      headers: {},
      ...req,
    });
  const hangup = (callId: string, legId: string, reason: string, cause?: callEvents.EndCause) =>
    edge(t.client.hangupLeg, {
      callId,
      legId,
      sipStatus: 0,
      reason,
      ...(cause !== undefined ? { cause } : {}),
    });
  const sipp = async (scenario: string, options: { port?: number; remote?: boolean; service?: string }) => {
    const rtp = await RtpEndpoint.open();
    endpoints.push(rtp);
    const running = await startSipp({
      scenario: join(SCENARIOS, scenario),
      ...(options.port ? { port: options.port } : {}),
      ...(options.remote ? { remote: `127.0.0.1:${t.engine.sipPort}` } : {}),
      ...(options.service ? { service: options.service } : {}),
      args: ['-key', 'rtp_port', String(rtp.port)],
    });
    sipps.push(running);
    return running;
  };
  const offered = (testCase: string) =>
    t.fact(
      'inboundCallOffered',
      (f) =>
        f.fact?.$case === 'inboundCallOffered' &&
        f.fact.inboundCallOffered.toUri.includes(`sip:${testCase}@`),
    );

  beforeAll(async () => {
    trustedCallerPort = await freePort();
    trustedCalleePort = await freePort();
    trustedCallee2Port = await freePort();
    t = await startEdgeUnderTest({
      env: {
        SIP_TRUST_DOMAIN_CIDRS: [trustedCallerPort, trustedCalleePort, trustedCallee2Port]
          .map((port) => `127.0.0.1:${port}`)
          .join(','),
      },
    });
  });

  afterAll(async () => {
    await Promise.all(sipps.map((s) => s.stop(500).catch(() => undefined)));
    endpoints.forEach((e) => e.close());
    await t?.close();
  });

  it("passes on a trusted caller's identity, lends it (anonymously: Privacy: id) to the leg dialled for it, records the caller's BYE Reason and sends the platform's cause in its BYE", async () => {
    const caller = await sipp('uac-asserted-identity-privacy-answered-then-bye-with-reason.xml', {
      port: trustedCallerPort,
      remote: true,
      service: 'trusted-caller',
    });
    const offer = await offered('trusted-caller');
    const { callId, legId } = offer;
    // From the trust domain, the caller's assertion reaches the application.
    expect(offer.fact.inboundCallOffered.headers['p-asserted-identity']).toBe(
      '"Alice" <sip:+15550001111@carrier.test>',
    );

    const callee = await sipp('uas-expects-asserted-identity-answers-expect-bye-with-reason.xml', {
      port: trustedCalleePort,
    });
    await placeCall({
      callId,
      legId: 'dialled-for-alice',
      toUri: `sip:callee@127.0.0.1:${trustedCalleePort}`,
      fromUri: 'sip:+15550001111@platform.test',
      bridgeWithLegId: legId,
    });
    await t.fact('legAnswered', (f) => f.legId === 'dialled-for-alice');

    // The caller hangs up with a Reason: recorded on its LegEnded.
    t.expectSippSucceeded(await caller.result);
    const callerEnded = await t.fact('legEnded', (f) => f.legId === legId);
    expect(callerEnded.fact.legEnded).toMatchObject({
      cause: C.END_CAUSE_REMOTE_HANGUP,
      receivedReason: { protocol: 'Q.850', cause: 16, text: 'caller hung up' },
    });

    // The orchestrator's hangup names its cause: the media was lost (Q.850 41).
    await hangup(callId, 'dialled-for-alice', 'media lost', C.END_CAUSE_MEDIA_TIMEOUT);
    const result = await callee.result;
    t.expectSippSucceeded(result);
    expect(headerIn(result, /^INVITE /, 'P-Asserted-Identity')).toBe(
      '"Alice" <sip:+15550001111@carrier.test>',
    );
    expect(headerIn(result, /^INVITE /, 'Privacy')).toBe('id');
    expect(headerIn(result, /^INVITE /, 'From')).toMatch(
      /^"Anonymous" <sip:anonymous@anonymous\.invalid>;tag=/,
    );
    expect(headerIn(result, /^BYE /, 'Reason')).toBe('Q.850;cause=41;text="media lost"');
  });

  it('asserts the From towards a trusted peer when nobody asserted another identity, and says normal clearing in the BYE of a hangup', async () => {
    const callee = await sipp('uas-expects-asserted-identity-answers-expect-bye-with-reason.xml', {
      port: trustedCallee2Port,
    });
    await placeCall({
      callId: 'out-trusted',
      legId: 'to-trusted',
      toUri: `sip:callee@127.0.0.1:${trustedCallee2Port}`,
      fromUri: 'sip:+15550003333@platform.test',
    });
    await t.fact('legAnswered', (f) => f.legId === 'to-trusted');
    await hangup('out-trusted', 'to-trusted', '');
    const result = await callee.result;
    t.expectSippSucceeded(result);
    expect(headerIn(result, /^INVITE /, 'P-Asserted-Identity')).toBe('<sip:+15550003333@platform.test>');
    expect(headerIn(result, /^INVITE /, 'From')).toMatch(/^<sip:\+15550003333@platform\.test>;tag=/);
    expect(headerIn(result, /^INVITE /, 'Privacy')).toBeUndefined();
    expect(headerIn(result, /^BYE /, 'Reason')).toBe('Q.850;cause=16;text="hangup"');
  });

  it("keeps an application's asserted identity from an untrusted peer, anonymises the From for Privacy: id, and cancels at the ring timeout with Q.850 19", async () => {
    const callee = await sipp('uas-expects-no-asserted-identity-rings-expect-cancel-with-reason.xml', {});
    await placeCall({
      callId: 'out-untrusted',
      legId: 'to-untrusted',
      toUri: `sip:callee@127.0.0.1:${callee.port}`,
      fromUri: 'sip:+15550002222@platform.test',
      ringTimeoutMs: 1500,
      headers: { 'P-Asserted-Identity': '<sip:+15550002222@platform.test>', Privacy: 'id' },
    });
    const ended = await t.fact('legEnded', (f) => f.legId === 'to-untrusted');
    expect(ended.fact.legEnded).toMatchObject({ cause: C.END_CAUSE_NO_ANSWER, sipStatus: 487 });
    const result = await callee.result;
    t.expectSippSucceeded(result);
    expect(headerIn(result, /^INVITE /, 'P-Asserted-Identity')).toBeUndefined();
    expect(headerIn(result, /^INVITE /, 'From')).toMatch(
      /^"Anonymous" <sip:anonymous@anonymous\.invalid>;tag=/,
    );
    expect(headerIn(result, /^CANCEL /, 'Reason')).toBe('Q.850;cause=19;text="ring timeout"');
  });

  it("does not pass on an untrusted caller's P-Asserted-Identity, and records the Reason of its CANCEL", async () => {
    const caller = await sipp('uac-asserted-identity-cancel-with-reason-expect-487.xml', {
      remote: true,
      service: 'untrusted-caller',
    });
    const offer = await offered('untrusted-caller');
    expect(offer.fact.inboundCallOffered.headers).not.toHaveProperty('p-asserted-identity');
    t.expectSippSucceeded(await caller.result);
    const ended = await t.fact('legEnded', (f) => f.legId === offer.legId);
    expect(ended.fact.legEnded).toMatchObject({
      cause: C.END_CAUSE_CANCELLED,
      sipStatus: 487,
      receivedReason: { protocol: 'SIP', cause: 200, text: 'Call completed elsewhere' },
    });
  });
});

describe("the platform: a caller's Reason on its LegEnded event, and the orchestrator's cause in the BYE of the peer it ends", () => {
  let p: PlatformUnderTest;
  let callerPort: number;
  let calleePort: number;
  const endpoints: RtpEndpoint[] = [];
  const sipps: RunningSipp[] = [];

  const sipp = async (scenario: string, port: number, caller?: { service: string }) => {
    const rtp = await RtpEndpoint.open();
    endpoints.push(rtp);
    const running = await startSipp({
      scenario: join(SCENARIOS, scenario),
      port,
      ...(caller ? { remote: `127.0.0.1:${p.edge.engine.sipPort}`, service: caller.service } : {}),
      args: ['-key', 'rtp_port', String(rtp.port)],
    });
    sipps.push(running);
    return running;
  };

  beforeAll(async () => {
    callerPort = await freePort();
    calleePort = await freePort();
    p = await startPlatform({
      env: { SIP_TRUST_DOMAIN_CIDRS: `127.0.0.1:${callerPort},127.0.0.1:${calleePort}` },
    });
  });

  afterAll(async () => {
    await Promise.all(sipps.map((s) => s.stop(500).catch(() => undefined)));
    endpoints.forEach((e) => e.close());
    await p?.close();
  });

  it('records the BYE Reason of a trusted caller dialled through, and BYEs the callee with Q.850 16 (bridge peer ended)', async () => {
    const callee = await sipp('uas-expects-asserted-identity-answers-expect-bye-with-reason.xml', calleePort);
    const caller = await sipp('uac-asserted-identity-privacy-answered-then-bye-with-reason.xml', callerPort, {
      service: 'platform-caller',
    });
    const inbound = await p.event('legInitiated', (e) =>
      e.event.legInitiated.toUri.includes('sip:platform-caller@'),
    );
    const { callId, legId: callerLeg } = inbound.event.legInitiated;
    const dialled = await p.rpc<callControl.DialRequest, callControl.DialResponse>(p.api.dial, {
      callId,
      bridgeWithLegId: callerLeg,
      toUri: `sip:callee@127.0.0.1:${calleePort}`,
      fromUri: '',
      ringTimeoutMs: 10_000,
      idempotencyKey: `dial-${callId}`,
    });

    const callerEnded = await p.event('legEnded', (e) => e.event.legEnded.legId === callerLeg);
    expect(callerEnded.event.legEnded).toMatchObject({
      cause: C.END_CAUSE_REMOTE_HANGUP,
      receivedReason: { protocol: 'Q.850', cause: 16, text: 'caller hung up' },
    });
    const calleeEnded = await p.event('legEnded', (e) => e.event.legEnded.legId === dialled.legId);
    expect(calleeEnded.event.legEnded.cause).toBe(C.END_CAUSE_BRIDGE_PEER_ENDED);
    expect(calleeEnded.event.legEnded.receivedReason).toBeUndefined();

    p.edge.expectSippSucceeded(await caller.result);
    const result = await callee.result;
    p.edge.expectSippSucceeded(result);
    expect(headerIn(result, /^INVITE /, 'P-Asserted-Identity')).toBe(
      '"Alice" <sip:+15550001111@carrier.test>',
    );
    expect(headerIn(result, /^INVITE /, 'From')).toMatch(
      /^"Anonymous" <sip:anonymous@anonymous\.invalid>;tag=/,
    );
    expect(headerIn(result, /^BYE /, 'Reason')).toMatch(/^Q\.850;cause=16;text=".+"$/);
  });
});
