import { foldEvents } from '../domain/call.state';
import * as b from '../domain/testing/builders';
import { CommandEffects } from './command-effects';
import { PeerError, PEER_ERROR_CODES } from './errors';
import type { MediaPort, SipEdgePort } from './ports';

// Port methods the test does not expect fail it when called.
const untouchable = <T extends object>(name: string, allowed: Partial<T> = {}): T =>
  new Proxy(allowed as T, {
    get: (target, method) =>
      method in target
        ? target[method as keyof T]
        : () => {
            throw new Error(`${name}.${String(method)} must not be called`);
          },
  });

const answered = foldEvents(b.bothAnswered());

describe('CommandEffects: BridgeLegs', () => {
  const bridged: Array<Parameters<SipEdgePort['bridgeLegs']>> = [];
  const joined = { mediaSessionId: 'C1/bridge/x' };
  const sipEdge = (bridgeLegs: SipEdgePort['bridgeLegs']) =>
    untouchable<SipEdgePort>('sipEdge', { bridgeLegs });
  const media = untouchable<MediaPort>('media');
  beforeEach(() => bridged.splice(0));

  it('joins the two legs through sip-edge before the append', async () => {
    const effects = new CommandEffects(
      sipEdge(async (...legs) => (bridged.push(legs), joined)),
      media,
    );
    await effects.before(
      'C1',
      b.bridgeLegs('A', 'B'),
      { events: [b.echoStopped('A'), b.legsBridged('A', 'B')], resultId: 'BR1' },
      answered,
    );
    // With the bridge id and key decided, which sip-edge's LegsBridged fact carries back.
    expect(bridged).toEqual([['C1', 'A', 'B', { bridgeId: 'BR1', idempotencyKey: 'k-bridge' }]]);
  });

  it('records the media session sip-edge joined the legs in on LegsBridged, and nothing else', async () => {
    const effects = new CommandEffects(
      sipEdge(async () => joined),
      media,
    );
    const events = [b.echoStopped('A'), b.legsBridged('A', 'B')];
    const amend = await effects.before('C1', b.bridgeLegs('A', 'B'), { events, resultId: 'BR1' }, answered);
    expect(amend && events.map(amend)).toEqual([
      b.echoStopped('A'),
      { type: 'LegsBridged', data: { ...b.legsBridged('A', 'B').data, mediaSessionId: 'C1/bridge/x' } },
    ]);
  });

  it('asks sip-edge nothing for a replayed key (decide recorded nothing new)', async () => {
    const effects = new CommandEffects(
      sipEdge(async (...legs) => (bridged.push(legs), joined)),
      media,
    );
    await effects.before('C1', b.bridgeLegs('A', 'B'), { events: [], resultId: 'BR1' }, answered);
    expect(bridged).toEqual([]);
  });

  it("passes sip-edge's refusal on (so nothing is appended), naming the leg and SIP status", async () => {
    const refusal = new PeerError(
      'sip-edge',
      PEER_ERROR_CODES.illegalState,
      'leg B refused the re-INVITE: 488 Not Acceptable Here',
    );
    const effects = new CommandEffects(
      sipEdge(() => Promise.reject(refusal)),
      media,
    );
    const before = effects.before(
      'C1',
      b.bridgeLegs('A', 'B'),
      { events: [b.legsBridged('A', 'B')], resultId: 'BR1' },
      answered,
    );
    await expect(before).rejects.toBe(refusal);
    await expect(before).rejects.toMatchObject({ kind: 'failed_precondition', message: /leg B.*488/ });
  });
});

describe('CommandEffects: media', () => {
  const bridged = foldEvents([
    ...b.bothAnswered(),
    (() => {
      const e = b.legsBridged('A', 'B');
      return e.type === 'LegsBridged' ? { ...e, data: { ...e.data, mediaSessionId: 'ms-bridge' } } : e;
    })(),
  ]);
  const played: Array<Parameters<MediaPort['play']>[0]> = [];
  const echoed: Array<Parameters<MediaPort['startEcho']>[0]> = [];
  const effects = new CommandEffects(
    untouchable<SipEdgePort>('sipEdge'),
    untouchable<MediaPort>('media', {
      play: async (r) => void played.push(r),
      startEcho: async (party) => void echoed.push(party),
    }),
  );

  it('plays to the leg where its media is now, under the call', async () => {
    await effects.before(
      'C1',
      b.playMedia('B'),
      { events: [b.playbackStarted('B', 'P1')], resultId: 'P1' },
      bridged,
    );
    expect(played).toEqual([
      expect.objectContaining({
        callId: 'C1',
        party: { sessionId: 'ms-bridge', tag: 'B' },
        playbackId: 'P1',
      }),
    ]);
  });

  it('echoes on the party of the leg', async () => {
    await effects.before('C1', b.startEcho('A'), { events: [b.echoStarted('A')] }, answered);
    expect(echoed).toEqual([{ sessionId: 'C1', tag: 'A' }]);
  });
});

describe('CommandEffects: RecordMediaSessionLost', () => {
  const hungUp: Array<Parameters<SipEdgePort['hangupLeg']>> = [];
  const sipEdge = untouchable<SipEdgePort>('sipEdge', {
    hangupLeg: async (...leg) => void hungUp.push(leg),
  });
  const media = untouchable<MediaPort>('media');
  beforeEach(() => hungUp.splice(0));

  it('hangs up through sip-edge, before the append, each leg the decision ends', async () => {
    const effects = new CommandEffects(sipEdge, media);
    const ended = b.legEnded('A', b.EndCause.END_CAUSE_MEDIA_TIMEOUT, 0, b.LOST_REASON);
    await effects.before(
      'C1',
      b.recordMediaSessionLost(),
      { events: [b.legMediaLost('A'), ended] },
      answered,
    );
    expect(hungUp).toEqual([['C1', 'A', `media lost: ${b.LOST_REASON}`]]);
  });

  it('sends nothing when the loss is only recorded', async () => {
    const effects = new CommandEffects(sipEdge, media);
    await effects.before(
      'C1',
      b.recordMediaSessionLost('record'),
      { events: [b.legMediaLost('A')] },
      answered,
    );
    expect(hungUp).toEqual([]);
  });
});
