// Carrier trunks through the whole platform (issue 19): an INVITE from an address that is no trunk's
// source (nor an authenticated device, nor INBOUND_ALLOW_CIDRS) is refused with 403 before any call
// exists; one from a trunk's source becomes a call whose LegInitiated names the trunk; and a number routed
// to a trunk whose first gateway (Kamailio) answers 503 fails over to the second (a sipp UAS), which
// answers, with the failed attempt recorded as one LegAttemptFailed.
import { provisioning } from '@callctl/proto';
import { startKamailioGateway, type KamailioGateway } from '@callctl/testing';
import { callParties, sleep } from '../support/call-parties.js';
import { startPlatform, type PlatformUnderTest } from '../support/platform-under-test.js';

jest.setTimeout(90_000);

/** A source no trunk has: the platform must refuse it. */
const UNKNOWN_SOURCE = '127.0.0.2';
/** A carrier's signalling address, provisioned as its trunk's inbound source. */
const CARRIER_SOURCE = '127.0.0.3';
/** Long enough for a wrongly accepted INVITE to have become a call (an event, a SIP fact). */
const SETTLE_MS = 1000;

describe('trunks: carriers reach the platform by their source address', () => {
  let platform: PlatformUnderTest | undefined;
  const p = () => platform!;
  const parties = callParties(p);

  beforeAll(async () => {
    platform = await startPlatform(
      // Only the test's own address is allowed without a trunk (the default of the e2e platform, said here).
      { env: { INBOUND_ALLOW_CIDRS: '127.0.0.1/32' } },
      { provisioning: true },
    );
  });
  let gateway: KamailioGateway | undefined;
  afterEach(async () => {
    await parties.cleanUp();
    await gateway?.stop();
    gateway = undefined;
  });
  afterAll(() => platform?.close());

  it('an INVITE from an address that is no trunk’s is refused with 403 and no call exists', async () => {
    const rtp = await parties.rtpEndpoint();
    const caller = await parties.sipp('uac-expect-403.xml', rtp.port, {
      service: 'from-nowhere',
      args: ['-i', UNKNOWN_SOURCE],
    });
    p().edge.expectSippSucceeded(await caller.result);
    await sleep(SETTLE_MS);
    expect(p().edge.seen.filter((f) => f.fact?.$case === 'inboundCallOffered')).toEqual([]);
    expect(p().events.filter((e) => e.event?.$case === 'callCreated')).toEqual([]);
    const { calls } = await p().api.listCalls({ pageSize: 0, pageToken: '' });
    expect(calls).toEqual([]);
  });

  it('an INVITE from a trunk’s source is a call of that trunk (LegInitiated.trunk)', async () => {
    await p().provisioning!.api.putTrunk({ name: 'carrier-in', inboundSources: [CARRIER_SOURCE] });
    const rtp = await parties.rtpEndpoint();
    const caller = await parties.sipp('uac-answered-expect-bye.xml', rtp.port, {
      service: 'from-carrier',
      args: ['-i', CARRIER_SOURCE],
    });
    const inbound = await parties.inboundCall('from-carrier');
    expect(inbound.trunk).toBe('carrier-in');
    await p().api.answerLeg({ callId: inbound.callId, legId: inbound.legId, clientState: '' });
    await p().event('legAnswered', (e) => e.event.legAnswered.legId === inbound.legId);
    await p().api.hangup({ callId: inbound.callId, legId: '' });
    p().edge.expectSippSucceeded(await caller.result);
  });

  it('a number routed to a trunk whose first gateway answers 503 fails over to the second, which answers: one LegAttemptFailed(503)', async () => {
    const unavailable = (gateway = await startKamailioGateway({ status: 503 }));
    const rtp = await parties.rtpEndpoint();
    const second = await parties.sipp('uas-answers-expect-bye.xml', rtp.port);
    const udp = provisioning.SipTransport.SIP_TRANSPORT_UDP;
    await p().provisioning!.api.putTrunk({
      name: 'london',
      gateways: [
        { host: '127.0.0.1', port: unavailable.port, transport: udp, priority: 0 },
        { host: '127.0.0.1', port: second.port, transport: udp, priority: 1 },
      ],
      numberPatterns: ['+4420*'],
    });

    const { callId, legId } = await p().api.createCall({
      toUri: '+442071234567',
      fromUri: 'sip:platform@127.0.0.1',
      ringTimeoutMs: 10_000,
      maxDurationMs: 0,
      clientState: '',
      idempotencyKey: 'trunks-failover',
    });
    await p().event('legAnswered', (e) => e.event.legAnswered.legId === legId);
    const failed = p()
      .eventsOf(callId)
      .flatMap((e) => (e.event?.$case === 'legAttemptFailed' ? [e.event.legAttemptFailed] : []));
    expect(failed).toHaveLength(1);
    expect(failed[0]).toMatchObject({
      legId,
      attempt: 1,
      trunk: 'london',
      sipStatus: 503,
      failover: true,
    });
    expect(failed[0]!.gateway).toContain(`127.0.0.1:${unavailable.port}`);
    const initiated = await p().event('legInitiated', (e) => e.event.legInitiated.legId === legId);
    expect(initiated.event.legInitiated.trunk).toBe('london');

    await p().api.hangup({ callId, legId: '' });
    const answered = await second.result;
    p().edge.expectSippSucceeded(answered);
    expect(answered.messages).toMatch(/INVITE sip:\+442071234567@127\.0\.0\.1/);
    expect(await unavailable.received('INVITE')).toBe(1);
  });
});
