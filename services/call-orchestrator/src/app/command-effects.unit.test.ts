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

describe('CommandEffects: BridgeLegs', () => {
  const bridged: Array<Parameters<SipEdgePort['bridgeLegs']>> = [];
  const sipEdge = (bridgeLegs: SipEdgePort['bridgeLegs']) =>
    untouchable<SipEdgePort>('sipEdge', { bridgeLegs });
  const media = untouchable<MediaPort>('media');
  beforeEach(() => bridged.splice(0));

  it('joins the two legs through sip-edge before the append', async () => {
    const effects = new CommandEffects(
      sipEdge(async (...legs) => void bridged.push(legs)),
      media,
    );
    await effects.before('C1', b.bridgeLegs('A', 'B'), {
      events: [b.echoStopped('A'), b.legsBridged('A', 'B')],
      resultId: 'BR1',
    });
    // With the bridge id and key decided, which sip-edge's LegsBridged fact carries back.
    expect(bridged).toEqual([['C1', 'A', 'B', { bridgeId: 'BR1', idempotencyKey: 'k-bridge' }]]);
  });

  it('asks sip-edge nothing for a replayed key (decide recorded nothing new)', async () => {
    const effects = new CommandEffects(
      sipEdge(async (...legs) => void bridged.push(legs)),
      media,
    );
    await effects.before('C1', b.bridgeLegs('A', 'B'), { events: [], resultId: 'BR1' });
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
    const before = effects.before('C1', b.bridgeLegs('A', 'B'), {
      events: [b.legsBridged('A', 'B')],
      resultId: 'BR1',
    });
    await expect(before).rejects.toBe(refusal);
    await expect(before).rejects.toMatchObject({ kind: 'failed_precondition', message: /leg B.*488/ });
  });
});
