// SIPREC's recording fork over a real rtpengine 10.5: the offer the SRS gets (one sendonly m-line per party,
// in the order asked, labelled as asked), the answer sending each party's copy where the SRS said, StopFork
// ending it, and the call's own audio untouched throughout.
import { randomUUID } from 'node:crypto';
import { recorderAnswerSdp, RtpEndpoint, waitFor } from '@callctl/testing';
import { startOperationFixture, type OperationFixture } from '../../../test/support/operation-fixture.js';
import { NotFoundError, ValidationError } from '../../domain/errors.js';
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

it('forks each party to its labelled m-line, the SRS ports get the right tones, StopFork ends it, the call goes on', async () => {
  const { sessionId, caller, callee } = await f.twoPartyCall([700, 1300]);
  const srs = [await RtpEndpoint.open(), await RtpEndpoint.open()];
  const forks = new Forks({ relay: f.relay, log: f.log });
  try {
    // The callee first: the m-lines follow the request's order, not the session's.
    const offer = await forks.offerRecording({
      sessionId,
      forkId: 'siprec-1',
      fromTags: ['callee', 'caller'],
      labels: ['b', 'a'],
    });
    const mLines = offer
      .split('\r\n\r\n')[0]!
      .split(/\r\n(?=m=)/)
      .slice(1);
    expect(mLines).toHaveLength(2);
    expect(mLines.map((m) => m.match(/^a=label:(.*)$/gm))).toEqual([['a=label:b'], ['a=label:a']]);
    for (const m of mLines)
      expect(m.match(/^a=(sendonly|recvonly|sendrecv|inactive)$/gm)).toEqual(['a=sendonly']);
    // RFC 4566 order: c= before any attribute.
    for (const m of mLines) expect(m.indexOf('\r\nc=')).toBeLessThan(m.indexOf('\r\na='));

    // Requested, not answered: nothing flows yet.
    await sleep(300);
    expect(srs[0]!.packetsReceived + srs[1]!.packetsReceived).toBe(0);

    await forks.answerRecording({
      sessionId,
      forkId: 'siprec-1',
      sdp: recorderAnswerSdp(
        offer,
        srs.map((e) => e.port),
      ),
    });
    await waitFor(
      'the callee on m-line 1 and the caller on m-line 2',
      () =>
        srs[0]!.packetsReceived > 25 &&
        srs[1]!.packetsReceived > 25 &&
        srs[0]!.recentToneRatio(1300) > 0.8 &&
        srs[1]!.recentToneRatio(700) > 0.8,
      10_000,
    );
    expect(srs[0]!.recentToneRatio(700)).toBeLessThan(0.1);
    expect(srs[1]!.recentToneRatio(1300)).toBeLessThan(0.1);

    await forks.stop(sessionId, 'siprec-1');
    await sleep(300);
    const after = srs.map((e) => e.packetsReceived);
    await sleep(800);
    expect(srs.map((e) => e.packetsReceived)).toEqual(after);

    // The parties still hear each other, each only the other's tone.
    caller.clearReceived();
    callee.clearReceived();
    await waitFor(
      'two-way audio of the call',
      () =>
        caller.packetsReceived > 25 &&
        callee.packetsReceived > 25 &&
        caller.recentToneRatio(1300) > 0.8 &&
        callee.recentToneRatio(700) > 0.8,
      5000,
    );
  } finally {
    for (const e of srs) await e.close();
    await f.relay.deleteSession(sessionId).catch(() => undefined);
  }
});

it('refuses an unknown party, an answer without audio, and an answer for a fork never offered', async () => {
  const { sessionId, callee } = await f.twoPartyCall([0, 0]);
  const forks = new Forks({ relay: f.relay, log: f.log });
  try {
    await expect(
      forks.offerRecording({ sessionId, forkId: 'r', fromTags: ['caller', 'nobody'], labels: [] }),
    ).rejects.toThrow(NotFoundError);
    await expect(
      forks.offerRecording({
        sessionId: `none-${randomUUID()}`,
        forkId: 'r',
        fromTags: ['caller'],
        labels: [],
      }),
    ).rejects.toThrow(NotFoundError);
    await expect(forks.answerRecording({ sessionId, forkId: 'never', sdp: callee.sdp() })).rejects.toThrow(
      NotFoundError,
    );
    await expect(forks.answerRecording({ sessionId, forkId: 'never', sdp: 'v=0\r\n' })).rejects.toThrow(
      ValidationError,
    );
  } finally {
    await f.relay.deleteSession(sessionId).catch(() => undefined);
  }
});
