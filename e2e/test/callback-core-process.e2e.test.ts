// The callback service as a process (main.ts: core, IIF and gRPC), over the real platform with two sipp
// UASs: an IIF REQUEST is ACKed, both users are called and bridged, the service is killed (-9) while they
// talk, and after its restart the call still ends at its cap and the RESPONSE carries the real duration, once.
import { join } from 'node:path';
import { callback } from '@callctl/proto';
import { startSipp, waitFor, type RunningSipp } from '@callctl/testing';
import { openIifPeer, type IifPeer } from '../support/callback-iif.js';
import { startCallbackProcess, type CallbackServiceProcess } from '../support/callback-service.js';
import { startPlatform, type PlatformUnderTest } from '../support/platform-under-test.js';

jest.setTimeout(150_000);

const SCENARIOS = join(__dirname, '..', 'scenarios');
/** Called without an offer, answered at once, joined to the other by BridgeLegs' re-INVITEs. */
const USER = 'uas-late-offer-follows-reinvites-expect-bye.xml';
const { CallbackState: State } = callback;

describe('callback service process: kill -9 while they talk', () => {
  let p: PlatformUnderTest;
  let cb: CallbackServiceProcess;
  let peer: IifPeer;
  const sipps: RunningSipp[] = [];

  beforeAll(async () => {
    p = await startPlatform({}, { mediaServices: true });
    cb = await startCallbackProcess({
      natsUrl: p.edge.nats.url,
      apiAddress: `127.0.0.1:${p.orchestrator.grpcPort}`,
      // A user is the port of the sipp that plays it.
      dialPlan: 'sip:callee@127.0.0.1:{user}',
    });
    peer = await openIifPeer(cb.iifPort);
  });
  afterAll(async () => {
    await Promise.all(sipps.map((s) => s.stop(1000)));
    await peer?.close();
    await cb?.close();
    await p?.close();
  });

  it('ends at the cap after a restart and sends the RESPONSE with the real duration once', async () => {
    for (let i = 0; i < 2; i++)
      sipps.push(await startSipp({ scenario: join(SCENARIOS, USER), args: ['-key', 'rtp_port', '9'] }));
    const [user1, user2] = sipps as [RunningSipp, RunningSipp];
    await peer.request({ id: 'k9', user1: user1.port, user2: user2.port, duration: 6 });
    expect((await peer.next('ACK', 'k9')).params.code).toBe('ok');

    const bridged = await waitFor(
      'the callback bridged',
      async () => {
        const { callbacks } = await cb.client.listCallbacks({ pageSize: 10 });
        return callbacks.find((c) => c.origin?.iifId === 'k9' && c.state === State.CALLBACK_STATE_BRIDGED);
      },
      30_000,
      50,
    );
    await cb.restart(); // SIGKILL, then the same service again

    const response = await peer.next('RESPONSE', 'k9', 60_000);
    const legsBridged = await p.event('legsBridged', (e) => e.event.legsBridged.callId === bridged.callId);
    const bridgeEnded = await p.event('bridgeEnded', (e) => e.event.bridgeEnded.callId === bridged.callId);
    const bridgedMs =
      bridgeEnded.envelope!.recordedAt!.getTime() - legsBridged.envelope!.recordedAt!.getTime();
    expect(Number(response.params.real_duration)).toBe(Math.floor((bridgedMs + 500) / 1000));
    expect(Number(response.params.real_duration)).toBeGreaterThanOrEqual(5);
    const { callback: view } = await cb.client.getCallback({ callbackId: bridged.callbackId });
    expect(view).toMatchObject({
      state: State.CALLBACK_STATE_ENDED,
      endCause: 3, // MAX_DURATION
      realDurationS: Number(response.params.real_duration),
    });
    // Acknowledged at once (the peer ACKs RESPONSEs): never sent again.
    await new Promise((resolve) => setTimeout(resolve, 3000));
    expect(peer.all('RESPONSE', 'k9')).toHaveLength(1);
    p.edge.expectSippSucceeded(await user1.result);
    p.edge.expectSippSucceeded(await user2.result);
  });
});
