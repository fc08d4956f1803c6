import { waitFor } from '@callctl/testing';
import { DtmfLogListener } from '../../adapters/rtpengine/dtmf-log.js';
import { startOperationFixture, type OperationFixture } from '../../../test/support/operation-fixture.js';
import { DtmfDetection } from './dtmf-detection.js';

jest.setTimeout(30_000);

/** In-band DTMF: row + column frequency of the key 5. */
const TONES_OF_5 = [770, 1336];
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

describe('DTMF detection operation (real rtpengine, nats-server, RTP)', () => {
  let f: OperationFixture;
  let dtmf: DtmfDetection;

  const dtmfOf = (state = f.state) =>
    new DtmfDetection({
      relay: f.relay,
      source: new DtmfLogListener({ host: '127.0.0.1', port: f.dtmfLogPort, log: f.log }),
      events: f.events,
      state: state.inbandDtmf,
      log: f.log,
    });
  const digitsOn = (sessionId: string) =>
    f.emitted.flatMap((e) =>
      e.sessionId === sessionId && e.fact?.$case === 'dtmfReceived' ? [e.fact.dtmfReceived] : [],
    );
  const recordsOf = async (sessionId: string) =>
    (await f.state.inbandDtmf.all()).filter((r) => r.value.sessionId === sessionId).map((r) => r.value);
  const sendTonesOf5 = async (caller: { startTone(hz: number | readonly number[]): void }) => {
    caller.startTone(TONES_OF_5);
    await sleep(300);
    caller.startTone(0);
  };

  beforeAll(async () => {
    f = await startOperationFixture();
    dtmf = dtmfOf();
    await dtmf.listen();
  });
  afterAll(async () => {
    await dtmf?.close();
    await f?.close();
  });

  it('reports each RFC 4733 digit on the session and tag it was seen on', async () => {
    const { caller, offer } = await f.localCaller();
    await caller.sendDigit('4');
    await caller.sendDigit('*');
    const digits = await waitFor(
      'two digits',
      () => (digitsOn(offer.sessionId).length >= 2 ? digitsOn(offer.sessionId) : undefined),
      10_000,
    );
    expect(digits.map((d) => [d.tag, d.digit])).toEqual([
      ['caller', '4'],
      ['caller', '*'],
    ]);
  });

  it('start turns in-band detection on for the party and records it; stop forgets it', async () => {
    const { caller, offer } = await f.localCaller();
    await sendTonesOf5(caller);
    await sleep(1000);
    expect(digitsOn(offer.sessionId)).toEqual([]);
    await dtmf.start(offer.sessionId, 'caller');
    await sendTonesOf5(caller);
    await waitFor('in-band 5', () => digitsOn(offer.sessionId).some((d) => d.digit === '5'), 10_000);
    await waitFor('record written', async () => (await recordsOf(offer.sessionId)).length === 1, 5000);
    dtmf.stop(offer.sessionId);
    await waitFor('record removed', async () => (await recordsOf(offer.sessionId)).length === 0, 5000);
  });

  it('recover takes back the parties of a previous run in sessions the relay still has', async () => {
    const { offer } = await f.localCaller();
    await dtmf.start(offer.sessionId, 'caller');
    await f.state.inbandDtmf.put(`gone\u0000caller`, { sessionId: 'gone', tag: 'caller' });
    await waitFor('record written', async () => (await recordsOf(offer.sessionId)).length === 1, 5000);
    const next = dtmfOf(await f.reopenState());
    expect(await next.recover(async (sessionId) => (sessionId === 'gone' ? 'gone' : 'present'))).toEqual({
      kept: 1,
      dropped: 1,
    });
    await waitFor('gone record removed', async () => (await recordsOf('gone')).length === 0, 5000);
  });
});
