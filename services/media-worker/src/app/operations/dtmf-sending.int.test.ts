import { randomUUID } from 'node:crypto';
import { waitFor } from '@callctl/testing';
import { startOperationFixture, type OperationFixture } from '../../../test/support/operation-fixture.js';
import { DtmfProbe } from '../../../test/support/dtmf-probe.js';
import type { AnswerParams, OfferParams, SinkMedia } from '../ports.js';
import { DtmfSending } from './dtmf-sending.js';

jest.setTimeout(30_000);

describe('DTMF sending operation (real rtpengine, nats-server, RTP)', () => {
  let f: OperationFixture;
  const probes: DtmfProbe[] = [];
  /** Relayed sessions only here: the worker's own party never sends. */
  const noSink: SinkMedia = {
    keepSending: () => Promise.reject(new Error('not a locally answered party')),
  };
  const sendingOf = (state = f.state) =>
    new DtmfSending({ relay: f.relay, sink: noSink, state: state.dtmfInjection, log: f.log });

  beforeAll(async () => {
    f = await startOperationFixture();
  });
  afterAll(async () => {
    await Promise.all(probes.map((p) => p.close()));
    await f?.close();
  });

  /** A relayed a<->b session whose offer and answer `sending` saw, RTP flowing both ways. */
  const relayed = async (sending: DtmfSending, answererEvents = true) => {
    const a = await DtmfProbe.open({ telephoneEvent: true });
    const b = await DtmfProbe.open({ telephoneEvent: answererEvents });
    probes.push(a, b);
    const sessionId = `session-${randomUUID()}`;
    const offer: OfferParams = { sessionId, fromTag: 'a', sdp: a.sdp() };
    b.useRemote(await f.relay.offer(offer));
    sending.noteOffer(offer);
    const answer: AnswerParams = { sessionId, fromTag: 'a', toTag: 'b', sdp: b.sdp() };
    a.useRemote(await f.relay.answer(answer));
    sending.noteAnswer(answer);
    await waitFor('media both ways', () => a.audioPackets > 3 && b.audioPackets > 3, 5000);
    return { sessionId, a, b };
  };

  it('re-negotiates with inject DTMF once, records it, and a next run keeps it on', async () => {
    const sending = sendingOf();
    const { sessionId, b } = await relayed(sending);
    expect(sending.injecting(sessionId, 'a')).toBe(false);
    expect(await sending.sendRelayed(sessionId, 'b', ['4', '2'], 80)).toBe(true);
    await waitFor('two events at b', () => b.digits().length >= 2, 10_000);
    expect(b.digits()).toEqual(['4', '2']);
    expect(sending.injecting(sessionId, 'a')).toBe(true);
    const records = (await f.state.dtmfInjection.all()).filter((r) => r.value.offer.sessionId === sessionId);
    expect(records.map((r) => [r.value.offer.injectDtmf, r.value.answer.injectDtmf])).toEqual([[true, true]]);

    // The next run of the worker: a re-offer of the session must carry inject DTMF again.
    const next = sendingOf(await f.reopenState());
    expect(next.injecting(sessionId, 'a')).toBe(false);
    await next.recover(async () => 'present');
    expect(next.injecting(sessionId, 'a')).toBe(true);
    expect(await next.sendRelayed(sessionId, 'b', ['7'], 80)).toBe(true);
    await waitFor('third event at b', () => b.digits().length >= 3, 10_000);
    expect(b.digits()).toEqual(['4', '2', '7']);

    // A deleted session's record goes (its write is not awaited).
    next.forget(sessionId);
    await waitFor(
      'record removed',
      async () => (await f.state.dtmfInjection.all()).every((r) => r.value.offer.sessionId !== sessionId),
      5000,
    );
  });

  it('sends nothing and records nothing for a party without telephone-event', async () => {
    const sending = sendingOf();
    const { sessionId, b } = await relayed(sending, false);
    expect(await sending.sendRelayed(sessionId, 'b', ['1'], 80)).toBe(false);
    expect(sending.injecting(sessionId, 'a')).toBe(false);
    await new Promise((resolve) => setTimeout(resolve, 500));
    expect(b.events).toEqual([]);
  });
});
