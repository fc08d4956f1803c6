import { waitFor } from '@callctl/testing';
import { startOperationFixture, type OperationFixture } from '../../../test/support/operation-fixture.js';
import { NotFoundError, ValidationError } from '../../domain/errors.js';
import { Echo } from './echo.js';

jest.setTimeout(30_000);

const TONE_DETECTED = 0.5;
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

describe('echo operation (real rtpengine, nats-server, RTP)', () => {
  let f: OperationFixture;

  const echoOf = (state = f.state) =>
    new Echo({ relay: f.relay, sink: f.sink, state: state.localParties, log: f.log });
  const recordOf = async (sessionId: string) =>
    (await f.state.localParties.all()).find((r) => r.value.offer.sessionId === sessionId)?.value;

  beforeAll(async () => {
    f = await startOperationFixture();
  });
  afterAll(async () => {
    await f?.close();
  });

  it('start sends an adopted party its own media back and stop ends it', async () => {
    const echo = echoOf();
    const { caller, offer } = await f.localCaller();
    echo.adopt({ offer, localTag: 'local-caller' });
    caller.startTone(440);
    await sleep(300);
    expect(caller.packetsReceived).toBe(0);
    await echo.start(offer.sessionId, '');
    await waitFor('own tone echoed', () => caller.recentToneRatio(440, 200) > TONE_DETECTED, 10_000);
    expect((await recordOf(offer.sessionId))?.offer.mediaEcho).toBe('backwards');
    await echo.stop(offer.sessionId, 'caller');
    await sleep(200);
    caller.clearReceived();
    await sleep(600);
    expect(caller.packetsReceived).toBeLessThan(5);
    expect((await recordOf(offer.sessionId))?.offer.mediaEcho).toBe('forward');
  });

  it('knows only the parties it adopted, and needs a tag when a session has several', async () => {
    const echo = echoOf();
    const { offer } = await f.localCaller();
    await expect(echo.start(offer.sessionId, '')).rejects.toBeInstanceOf(NotFoundError);
    echo.adopt({ offer, localTag: 'local-caller' });
    echo.adopt({ offer: { ...offer, fromTag: 'dialled' }, localTag: 'local-dialled' });
    await expect(echo.start(offer.sessionId, '')).rejects.toBeInstanceOf(ValidationError);
    await expect(echo.start(offer.sessionId, 'nobody')).rejects.toBeInstanceOf(NotFoundError);
  });

  it('forget drops the parties of a deleted session, records included', async () => {
    const echo = echoOf();
    const { offer } = await f.localCaller();
    echo.adopt({ offer, localTag: 'local-caller' });
    await waitFor('record written', async () => (await recordOf(offer.sessionId)) !== undefined, 5000);
    echo.forget(offer.sessionId);
    await expect(echo.start(offer.sessionId, 'caller')).rejects.toBeInstanceOf(NotFoundError);
    await waitFor('record removed', async () => (await recordOf(offer.sessionId)) === undefined, 5000);
  });

  it('recover takes back the parties of a previous run in sessions the relay still has', async () => {
    const first = echoOf();
    const { caller, offer } = await f.localCaller();
    first.adopt({ offer, localTag: 'local-caller' });
    await waitFor('record written', async () => (await recordOf(offer.sessionId)) !== undefined, 5000);
    const next = echoOf(await f.reopenState());
    const recovered = await next.recover(async () => 'present');
    expect(recovered.live.map((r) => r.offer.sessionId)).toContain(offer.sessionId);
    caller.startTone(700);
    await next.start(offer.sessionId, 'caller');
    await waitFor('own tone echoed', () => caller.recentToneRatio(700, 200) > TONE_DETECTED, 10_000);
  });
});
