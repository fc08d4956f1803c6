import { nextFact, type OrderedFact } from './fact-order.js';

const o = { holdMs: 2000, crossSourceGraceMs: 250, lateAfterMs: 1000, reorderWindowMs: 500 };
const sip = (sequence: number, occurredAtMs: number, extra: Partial<OrderedFact> = {}): OrderedFact => ({
  source: 'sip',
  sequence,
  occurredAtMs,
  arrivedAtMs: 1000,
  endsLeg: false,
  ...extra,
});
const media = (sequence: number, occurredAtMs: number, extra: Partial<OrderedFact> = {}): OrderedFact => ({
  ...sip(sequence, occurredAtMs, extra),
  source: 'media',
});

describe('the next fact of a call', () => {
  it('is nothing when none waits', () => expect(nextFact([], {}, 1000, o)).toEqual({ type: 'empty' }));

  it('takes one source in sequence order, whatever the arrival order', () =>
    expect(nextFact([sip(3, 30), sip(2, 20)], { sip: 1 }, 1000, o)).toEqual({
      type: 'apply',
      index: 1,
      gap: false,
    }));

  it('holds a fact whose predecessor has not been applied, until the hold ends', () => {
    expect(nextFact([sip(3, 30)], { sip: 1 }, 1000, o)).toEqual({ type: 'wait', ms: 2000 });
    expect(nextFact([sip(3, 30)], { sip: 1 }, 3000, o)).toEqual({ type: 'apply', index: 0, gap: true });
  });

  it('takes a fact at once when nothing of its source was applied here (first fact, or after a restart)', () =>
    expect(nextFact([sip(7, 70)], {}, 1000, o)).toEqual({ type: 'apply', index: 0, gap: false }));

  it('takes a fact whose sequence was applied already (a redelivery; recording it is a no-op)', () =>
    expect(nextFact([sip(2, 20)], { sip: 5 }, 1000, o)).toEqual({ type: 'apply', index: 0, gap: false }));

  it('orders the two sources by when they happened', () =>
    expect(nextFact([sip(2, 50), media(1, 40)], { sip: 1 }, 1000, o)).toMatchObject({ index: 1 }));

  it("holds a leg's end for the grace, so the other source's earlier digit goes first", () => {
    const bye = sip(2, 900, { endsLeg: true });
    expect(nextFact([bye], { sip: 1 }, 1000, o)).toEqual({ type: 'wait', ms: 150 });
    expect(nextFact([bye, { ...media(1, 850), arrivedAtMs: 1100 }], { sip: 1 }, 1100, o)).toMatchObject({
      type: 'apply',
      index: 1,
    });
    expect(nextFact([bye], { sip: 1 }, 1150, o)).toMatchObject({ type: 'apply', index: 0 });
  });

  it('lets nothing that happened later overtake a fact that waits', () =>
    expect(nextFact([sip(2, 900, { endsLeg: true }), media(1, 950)], { sip: 1 }, 1000, o)).toEqual({
      type: 'wait',
      ms: 150,
    }));

  it('orders unstamped facts by arrival', () =>
    expect(
      nextFact([sip(0, 0, { arrivedAtMs: 20 }), sip(0, 0, { arrivedAtMs: 10 })], {}, 1000, o),
    ).toMatchObject({ index: 1 }));

  describe('after an outage (facts held up on their way)', () => {
    // Both arrived at 20 000, long after they happened: the media "1" (at 10 200) first, the SIP "5"
    // (at 10 100) after it, as the two services' NATS clients flushed them.
    const one = media(1, 10_200, { arrivedAtMs: 20_000 });
    const five = sip(1, 10_100, { arrivedAtMs: 20_050 });

    it('applies a fresh fact at once', () =>
      expect(nextFact([sip(1, 19_900, { arrivedAtMs: 20_000 })], {}, 20_000, o)).toEqual({
        type: 'apply',
        index: 0,
        gap: false,
      }));

    it('holds a late fact for the reorder window after it arrived', () => {
      expect(nextFact([one], {}, 20_000, o)).toEqual({ type: 'wait', ms: 500 });
      expect(nextFact([one], {}, 20_500, o)).toMatchObject({ type: 'apply', index: 0 });
    });

    it("applies the two sources' late facts in the order they happened, not as they arrived", () => {
      expect(nextFact([one, five], {}, 20_500, o)).toEqual({ type: 'wait', ms: 50 });
      expect(nextFact([one, five], {}, 20_550, o)).toEqual({ type: 'apply', index: 1, gap: false });
    });

    it("keeps each source's sequence among late facts", () =>
      expect(
        nextFact(
          [sip(3, 10_050, { arrivedAtMs: 20_000 }), sip(2, 10_300, { arrivedAtMs: 20_000 })],
          { sip: 1 },
          20_600,
          o,
        ),
      ).toEqual({ type: 'apply', index: 1, gap: false }));

    it('holds a held-back fact until released, and what happened after it too', () => {
      const bye = sip(2, 10_400, { arrivedAtMs: 20_000, endsLeg: true, heldBack: true });
      expect(nextFact([bye], { sip: 1 }, 30_000, o)).toEqual({ type: 'wait', ms: Infinity });
      expect(nextFact([bye, media(1, 10_500)], { sip: 1 }, 30_000, o)).toEqual({
        type: 'wait',
        ms: Infinity,
      });
      expect(nextFact([bye, one], { sip: 1 }, 30_000, o)).toMatchObject({ type: 'apply', index: 1 });
      expect(nextFact([{ ...bye, heldBack: false }], { sip: 1 }, 30_000, o)).toMatchObject({
        type: 'apply',
        index: 0,
      });
    });
  });
});
