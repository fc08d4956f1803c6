// SIP phones as the platform's devices (issue 19, seed 001: calls go "to the cloud first"): baresip phones
// register to the platform's registrar with digest, are called by CreateCall to their user (every contact
// rung in parallel, the first answer wins, the others cancelled), and call another user and a number the
// dial plan routes out through a trunk to a carrier's gateway (a sipp UAS). Each call carries audio both
// ways: every party sends a tone of its own, and each hears the other's, in the phones' recordings of what
// they decoded and at the RTP sockets the test owns behind the sipp parties.
import { CALLEE_HZ } from '../support/call-parties.js';
import { DOMAIN, devicesUnderTest } from '../support/devices-under-test.js';

jest.setTimeout(120_000);

const ALICE_HZ = 500;
const ALICE_MOBILE_HZ = 600;
const BOB_HZ = 900;
const CARRIER_HZ = 1700;
const CAROL_HZ = 1100;

describe('SIP phones registered to the platform', () => {
  const { p, prov, calls, device, bindings, carrier } = devicesUnderTest('devices-e2e', [
    'alice',
    'bob',
    'carol',
  ]);
  /** CreateCall to a user of the platform domain: the application calls a device. */
  const callUser = (user: string) =>
    p().api.createCall({
      toUri: `sip:${user}@${DOMAIN}`,
      fromUri: 'sip:operator@127.0.0.1',
      ringTimeoutMs: 15_000,
      maxDurationMs: 0,
      clientState: '',
      idempotencyKey: `devices-call-${user}`,
    });

  it("CreateCall to sip:alice@<domain> rings both of alice's phones; the first to answer wins, the other is cancelled; audio both ways", async () => {
    const desk = await device('alice-desk', 'alice', ALICE_HZ);
    const mobile = await device('alice-mobile', 'alice', ALICE_MOBILE_HZ, { answerMode: 'manual' });
    const registered = await bindings('alice', 2);
    expect(registered.map((b) => b.sourceAddress)).toEqual(['127.0.0.1', '127.0.0.1']);
    expect(registered.map((b) => b.sourcePort).sort()).toEqual([desk.sipPort, mobile.sipPort].sort());

    const { callId, legId } = await callUser('alice');
    // Both rang; the desk phone answered at once, the mobile (manual answer) was cancelled.
    await mobile.event('CALL_INCOMING');
    await desk.event('CALL_ESTABLISHED');
    await p().event('legAnswered', (e) => e.event.legAnswered.legId === legId);
    await mobile.event('CALL_CLOSED');
    expect(mobile.events.some((e) => e.type === 'CALL_ESTABLISHED')).toBe(false);
    expect(mobile.output()).toMatch(/^CANCEL sip:alice-/m);
    const initiated = await p().event('legInitiated', (e) => e.event.legInitiated.legId === legId);
    expect(initiated.event.legInitiated.user).toBe(`alice@${DOMAIN}`);

    // A callee the test owns, dialled into the call and bridged with alice: each hears the other.
    const peer = await calls.party('alice-peer', CALLEE_HZ);
    const { legId: peerLeg } = await p().api.dial({
      callId,
      bridgeWithLegId: '',
      toUri: `sip:peer@127.0.0.1:${peer.sipp.port}`,
      fromUri: '',
      ringTimeoutMs: 10_000,
      idempotencyKey: 'devices-dial-peer',
    });
    await p().event('legAnswered', (e) => e.event.legAnswered.legId === peerLeg);
    await p().api.bridgeLegs({ callId, legAId: legId, legBId: peerLeg, idempotencyKey: 'devices-bridge' });
    await p().event('legsBridged', (e) => e.event.legsBridged.callId === callId);
    await calls.hears('the peer hearing alice', () => peer.recentToneRatio(ALICE_HZ));
    await calls.hears('alice hearing the peer', () => desk.recentToneRatio(CALLEE_HZ));

    await p().api.hangup({ callId, legId: '' });
    await desk.event('CALL_CLOSED');
  });

  it('alice calls bob: challenged, routed by the platform to his phone, answered and bridged; audio both ways', async () => {
    const alice = await device('alice', 'alice', ALICE_HZ);
    const bob = await device('bob', 'bob', BOB_HZ);
    await bindings('bob', 1);

    await alice.dial(`sip:bob@${DOMAIN}`);
    const inbound = await p().event(
      'legInitiated',
      (e) =>
        e.event.legInitiated.user === `alice@${DOMAIN}` &&
        e.event.legInitiated.routedTo?.includes(`bob@${DOMAIN}`) === true,
    );
    const { callId } = inbound.event.legInitiated;
    expect(alice.output()).toMatch(/^SIP\/2\.0 407 /m);
    await bob.event('CALL_ESTABLISHED');
    await alice.event('CALL_ESTABLISHED');
    await p().event('legsBridged', (e) => e.event.legsBridged.callId === callId);
    await calls.hears('bob hearing alice', () => bob.recentToneRatio(ALICE_HZ));
    await calls.hears('alice hearing bob', () => alice.recentToneRatio(BOB_HZ));

    // Alice hangs up: the platform ends bob's leg too.
    await alice.hangup();
    await bob.event('CALL_CLOSED');
  });

  it("alice calls a number: routed by the dial plan through the carrier's trunk to its gateway; audio both ways", async () => {
    const alice = await device('alice-out', 'alice', ALICE_HZ);
    const gateway = await carrier('carrier', CARRIER_HZ);
    await prov().putRoute({ name: 'us-555', pattern: '+1555*', trunk: 'carrier', priority: 0 });

    await alice.dial(`sip:+15550100@${DOMAIN}`);
    const inbound = await p().event(
      'legInitiated',
      (e) =>
        e.event.legInitiated.user === `alice@${DOMAIN}` &&
        e.event.legInitiated.routedTo?.includes('+15550100') === true,
    );
    const { callId } = inbound.event.legInitiated;
    const outbound = await p().event(
      'legInitiated',
      (e) => e.event.legInitiated.callId === callId && e.event.legInitiated.trunk === 'carrier',
    );
    expect(outbound.event.legInitiated.toUri).toContain('+15550100');
    await alice.event('CALL_ESTABLISHED');
    await p().event('legsBridged', (e) => e.event.legsBridged.callId === callId);
    await calls.hears('the carrier hearing alice', () => gateway.recentToneRatio(ALICE_HZ));
    await calls.hears('alice hearing the carrier', () => alice.recentToneRatio(CARRIER_HZ));

    await alice.hangup();
    const result = await gateway.sipp.result;
    p().edge.expectSippSucceeded(result);
    expect(result.messages).toMatch(/INVITE sip:\+15550100@127\.0\.0\.1/);
  });

  it('a phone registered over TCP is called over its own connection', async () => {
    const carol = await device('carol-tcp', 'carol', CAROL_HZ, { transport: 'tcp' });
    const [binding] = await bindings('carol', 1);
    expect(binding).toMatchObject({ transport: 'tcp', sourceAddress: '127.0.0.1' });
    // Over TCP the source port is the phone's side of the connection it opened, not the port it listens on.
    expect(binding!.sourcePort).not.toBe(carol.sipPort);

    const { callId, legId } = await callUser('carol');
    await carol.event('CALL_ESTABLISHED');
    await p().event('legAnswered', (e) => e.event.legAnswered.legId === legId);
    // baresip's trace: the INVITE came in over TCP, from the engine's side of carol's connection.
    expect(carol.output()).toMatch(
      new RegExp(
        `^TCP 127\\.0\\.0\\.1:${p().edge.engine.sipPort} -> 127\\.0\\.0\\.1:${binding!.sourcePort}\\s+INVITE sip:carol-`,
        'm',
      ),
    );
    await p().api.hangup({ callId, legId: '' });
    await carol.event('CALL_CLOSED');
  });
});
