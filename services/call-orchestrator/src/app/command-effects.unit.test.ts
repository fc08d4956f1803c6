import { Writable } from 'node:stream';
import { createLogger } from '@callctl/logging';
import { callEvents } from '@callctl/proto';
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
    // The cause goes along, for the Q.850 cause of the BYE's Reason header (41, not normal clearing).
    expect(hungUp).toEqual([
      ['C1', 'A', `media lost: ${b.LOST_REASON}`, callEvents.EndCause.END_CAUSE_MEDIA_TIMEOUT],
    ]);
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

describe('CommandEffects: SendDtmf', () => {
  const { DtmfMethod } = callEvents;
  const decided = { events: [b.dtmfSent('A', '12', DtmfMethod.DTMF_METHOD_UNSPECIFIED)] };
  const amended = (method: number) => ({
    ...decided.events[0]!,
    data: { ...decided.events[0]!.data, method },
  });

  it('records RFC 4733 when the media engine sent telephone-events, and asks sip-edge nothing', async () => {
    const sent: unknown[] = [];
    const effects = new CommandEffects(
      untouchable<SipEdgePort>('sipEdge'),
      untouchable<MediaPort>('media', { sendDtmf: async (r) => (sent.push(r), { sent: true }) }),
    );
    const amend = await effects.before('C1', b.sendDtmf('A', '12'), decided, answered);
    expect(sent).toEqual([
      { callId: 'C1', party: { sessionId: 'C1', tag: 'A' }, digits: '12', durationMs: 100 },
    ]);
    expect(amend && decided.events.map(amend)).toEqual([amended(DtmfMethod.DTMF_METHOD_RFC4733)]);
  });

  it('falls back to SIP INFO when the leg negotiated no telephone-event, and records INFO', async () => {
    const infos: unknown[] = [];
    const effects = new CommandEffects(
      untouchable<SipEdgePort>('sipEdge', { sendDtmfInfo: async (...a) => void infos.push(a) }),
      untouchable<MediaPort>('media', { sendDtmf: async () => ({ sent: false }) }),
    );
    const amend = await effects.before('C1', b.sendDtmf('A', '12'), decided, answered);
    expect(infos).toEqual([['C1', 'A', '12', 100]]);
    expect(amend && decided.events.map(amend)).toEqual([amended(DtmfMethod.DTMF_METHOD_INFO)]);
  });
});

describe('CommandEffects: prompts', () => {
  const { PlaybackEndReason: P } = b;
  const menu = b.prompt('menu.wav');
  const playing = foldEvents([
    ...b.answeredA(),
    b.collectStarted('A', 'D1', { prompts: [menu, menu], bargeIn: true }),
    b.promptStarted('A', 'D1', 0, menu),
  ]);

  it('plays the next prompt once the end of the one before is recorded', async () => {
    const played: unknown[] = [];
    const effects = new CommandEffects(
      untouchable<SipEdgePort>('sipEdge'),
      untouchable<MediaPort>('media', { play: async (r) => void played.push(r) }),
    );
    const next = b.promptStarted('A', 'D1', 1, menu);
    const decision = {
      events: [b.promptFinished('A', 'D1', 0, menu, P.PLAYBACK_END_REASON_COMPLETED), next],
    };
    expect(effects.actsBeforeAppend(b.recordPlaybackFinished('D1-prompt-0'))).toBe(false);
    await effects.after('C1', b.recordPlaybackFinished('D1-prompt-0'), decision, playing);
    expect(played).toEqual([
      {
        callId: 'C1',
        party: { sessionId: 'C1', tag: 'A' },
        source: 'file:menu.wav',
        repeat: 1,
        playbackId: 'D1-prompt-1',
      },
    ]);
    // One the worker refuses is recorded as failed, so that the collection moves on.
    expect(effects.afterFailed(b.recordPlaybackFinished('D1-prompt-0'), decision, new Error('x'))).toEqual(
      expect.objectContaining({
        type: 'RecordPlaybackFinished',
        data: { playbackId: 'D1-prompt-1', failed: true },
      }),
    );
  });

  it('stops the prompt a barge-in digit ended, after the digit is recorded; one already over is no error', async () => {
    const stopped: unknown[] = [];
    const effects = new CommandEffects(
      untouchable<SipEdgePort>('sipEdge'),
      untouchable<MediaPort>('media', {
        stopPlay: async (party) => {
          stopped.push(party);
          throw new PeerError('media-worker', PEER_ERROR_CODES.notFound, 'nothing plays');
        },
      }),
    );
    const decision = {
      events: [
        b.dtmfReceived('A', '1', 'D1'),
        b.promptFinished('A', 'D1', 0, menu, P.PLAYBACK_END_REASON_STOPPED),
      ],
    };
    expect(effects.actsBeforeAppend(b.recordDtmf('A', '1'))).toBe(false);
    await effects.after('C1', b.recordDtmf('A', '1'), decision, playing);
    expect(stopped).toEqual([{ sessionId: 'C1', tag: 'A' }]);
  });

  it('tries a barge-in stop that failed again (3 attempts), then gives up with a warning', async () => {
    const lines: Array<{ level: string; msg: string; attempts?: number; legId?: string }> = [];
    const sink = new Writable({
      write: (chunk: Buffer, _encoding, done) => {
        lines.push(JSON.parse(chunk.toString()) as (typeof lines)[number]);
        done();
      },
    });
    const log = createLogger({ service: 'effects-test', level: 'info', destination: sink });
    const decision = {
      events: [
        b.dtmfReceived('A', '1', 'D1'),
        b.promptFinished('A', 'D1', 0, menu, P.PLAYBACK_END_REASON_STOPPED),
      ],
    };
    let calls = 0;
    const failing = (failures: number) =>
      new CommandEffects(
        untouchable<SipEdgePort>('sipEdge'),
        untouchable<MediaPort>('media', {
          stopPlay: async () => {
            calls += 1;
            if (calls <= failures) throw new PeerError('media-worker', 'UNAVAILABLE', 'worker restarting');
          },
        }),
        log,
      );
    // Down for two attempts: the third stops it, and nothing is logged.
    await failing(2).after('C1', b.recordDtmf('A', '1'), decision, playing);
    expect(calls).toBe(3);
    expect(lines).toEqual([]);
    // Down for good: three attempts, then a warning naming the leg; the recorded digit stands.
    calls = 0;
    await failing(99).after('C1', b.recordDtmf('A', '1'), decision, playing);
    expect(calls).toBe(3);
    expect(lines).toEqual([
      expect.objectContaining({
        level: 'warn',
        legId: 'A',
        attempts: 3,
        msg: expect.stringMatching(/could not stop/),
      }),
    ]);
  });
});
