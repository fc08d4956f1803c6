// The fork operation alone over a real rtpengine: what a StartFork that fails half way leaves behind.
import { RtpSocket } from '@callctl/rtp';
import { waitFor } from '@callctl/testing';
import { startOperationFixture, type OperationFixture } from '../../../test/support/operation-fixture.js';
import { tagRoleOf } from '../../domain/session-tags.js';
import { ValidationError } from '../../domain/errors.js';
import { Forks } from './forks.js';

jest.setTimeout(60_000);

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

let f: OperationFixture;
beforeAll(async () => {
  f = await startOperationFixture();
});
afterAll(async () => {
  await f?.close();
});

it('a StartFork whose answer rtpengine refuses leaves no fork, not even the one it was replacing', async () => {
  const { sessionId, callee } = await f.twoPartyCall([700, 1300]);
  const sink = { packets: 0 };
  const socket = await RtpSocket.open(() => (sink.packets += 1));
  try {
    const request = {
      sessionId,
      forkId: 'rec',
      fromTags: ['caller'],
      sinkAddress: '127.0.0.1',
      sinkPorts: [socket.address.port],
      wideband: false,
    };
    await new Forks({ relay: f.relay, log: f.log }).start(request);
    await waitFor('the fork', () => sink.packets > 10, 10_000);

    // The same relay, except that the subscriber's answer reaching rtpengine is not SDP.
    const refusing = new Forks({
      relay: { ...f.relay, answerSubscription: (s, fork) => f.relay.answerSubscription(s, fork, 'not sdp') },
      log: f.log,
    });
    await expect(refusing.start(request)).rejects.toThrow(ValidationError);
    await sleep(300);
    const after = sink.packets;
    await sleep(600);
    expect(sink.packets).toBe(after);
    expect(tagRoleOf(await f.relay.querySession(sessionId), 'rec')).toBe('fork');
    // The call itself goes on.
    callee.clearReceived();
    await waitFor('the call', () => callee.recentToneRatio(700) > 0.8 && callee.packetsReceived > 20, 5000);
  } finally {
    await socket.close();
    await f.relay.deleteSession(sessionId).catch(() => undefined);
  }
});
