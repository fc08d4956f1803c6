// The real-phone harness proven on what the platform did before transfers: baresip and linphonec (headless
// on loopback, support/baresip.ts and support/linphone.ts) call the platform and are dialled through to a
// sipp callee at an RTP endpoint the test owns, and are dialled by the platform (auto-answer) from a sipp
// caller: each time the sipp party hears the phone's tone and the phone's own recording of what it decoded
// holds the party's tone. The transfer tests (transfers-phones.e2e.test.ts) stand on this.
import { callEvents } from '@callctl/proto';
import { startBaresip } from '../support/baresip.js';
import { startLinphone } from '../support/linphone.js';
import { phonesUnderTest } from '../support/phone-calls.js';

jest.setTimeout(90_000);

const C = callEvents.EndCause;
const BARESIP_HZ = 500;
const LINPHONE_HZ = 900;

describe('real phones through the platform', () => {
  const { p, calls, phone } = phonesUnderTest('phones-e2e');

  it("baresip calls in and is dialled through: each hears the other; the phone's BYE ends both legs", async () => {
    const bs = await phone((dir) => startBaresip({ dir, name: 'bs-caller', toneHz: BARESIP_HZ }));
    const call = await calls.phoneCallsThrough(bs, 'phones-baresip-out');
    await bs.hangup();
    const ended = await p().event('legEnded', (e) => e.event.legEnded.legId === call.phoneLeg);
    expect(ended.event.legEnded.cause).toBe(C.END_CAUSE_REMOTE_HANGUP);
    const peer = await p().event('legEnded', (e) => e.event.legEnded.legId === call.peerLeg);
    expect(peer.event.legEnded.cause).toBe(C.END_CAUSE_BRIDGE_PEER_ENDED);
    p().edge.expectSippSucceeded(await call.peer.sipp.result);
  });

  it('baresip answers a call dialled through from a caller: each hears the other; HangupLeg closes it', async () => {
    const bs = await phone((dir) => startBaresip({ dir, name: 'bs-callee', toneHz: BARESIP_HZ }));
    const call = await calls.callerDialledToPhone(bs, 'phones-baresip-in');
    await p().api.hangup({ callId: call.callId, legId: call.phoneLeg });
    await bs.event('CALL_CLOSED');
    p().edge.expectSippSucceeded(await call.peer.sipp.result);
  });

  it('linphonec calls in and answers a call: each time it hears and is heard', async () => {
    const lp = await phone((dir) => startLinphone({ dir, name: 'lp', toneHz: LINPHONE_HZ }));
    const out = await calls.phoneCallsThrough(lp, 'phones-linphone-out');
    await p().api.hangup({ callId: out.callId, legId: '' });
    await lp.expectOutput(/Call \d+ with .* ended/);

    const from = lp.output().length;
    const incoming = await calls.callerDialledToPhone(lp, 'phones-linphone-in');
    expect(await lp.answered(from)).toBeGreaterThan(0);
    await p().api.hangup({ callId: incoming.callId, legId: '' });
    await lp.expectOutput(/Call \d+ with .* ended/, 10_000, from);
  });
});
