import { MediaPlan } from './media-plan.js';

describe('media plan: SDP paths', () => {
  it("answers an inbound caller's offer on the platform, in the call's session with the leg's tag", () => {
    expect(new MediaPlan().inbound('C1', 'A')).toEqual({
      kind: 'platform-answer',
      party: { sessionId: 'C1', tag: 'A' },
    });
  });

  it('places an outbound leg alone with a late offer in the call session', () => {
    expect(new MediaPlan().outbound('C1', 'B')).toEqual({
      kind: 'late-offer',
      party: { sessionId: 'C1', tag: 'B' },
    });
  });

  it("dials through with the peer's offer, in the session the peer is in", () => {
    const plan = new MediaPlan();
    plan.inbound('C1', 'A');
    expect(plan.outbound('C1', 'B', 'A')).toEqual({
      kind: 'peer-offer',
      party: { sessionId: 'C1', tag: 'B' },
      peer: { sessionId: 'C1', tag: 'A' },
    });
  });

  it('dials through into the bridge session a peer was moved to', () => {
    const plan = new MediaPlan();
    plan.inbound('C1', 'A');
    plan.outbound('C1', 'B');
    plan.joined(plan.bridge('C1', 'A', 'B', 'x'));
    const path = plan.outbound('C1', 'D', 'A');
    expect(path.kind === 'peer-offer' && path.peer).toEqual(plan.partyOf('A'));
    expect(path.party.sessionId).toBe(plan.partyOf('A')!.sessionId);
  });

  it('refuses to dial through for a leg it holds no media of', () => {
    expect(() => new MediaPlan().outbound('C1', 'B', 'A')).toThrow(/A has no media/);
  });
});

/** An inbound leg A and an outbound leg B, both with media, in call C1's session. */
const answeredPair = () => {
  const plan = new MediaPlan();
  plan.inbound('C1', 'A');
  plan.used('A');
  plan.outbound('C1', 'B');
  plan.used('B');
  return plan;
};

describe('media plan: bridges', () => {
  it('gives a bridge a session of its own per bridge, each leg keeping its tag, without moving them yet', () => {
    const plan = answeredPair();
    const one = plan.bridge('C1', 'A', 'B', 'u1');
    const two = plan.bridge('C1', 'A', 'B', 'u2');
    expect(one.sessionId).not.toBe(two.sessionId);
    expect(one.sessionId).not.toBe('C1');
    expect(one.a).toEqual({ sessionId: one.sessionId, tag: 'A' });
    expect(one.b).toEqual({ sessionId: one.sessionId, tag: 'B' });
    expect(plan.partyOf('A')).toEqual({ sessionId: 'C1', tag: 'A' });
  });

  it("moves both legs on join and deletes the call's session nobody is left in", () => {
    const plan = answeredPair();
    const bridge = plan.bridge('C1', 'A', 'B', 'u1');
    const left = plan.joined(bridge);
    expect(plan.partyOf('A')).toEqual(bridge.a);
    expect(plan.partyOf('B')).toEqual(bridge.b);
    expect(left).toEqual([{ sessionId: 'C1', tag: 'A' }, { sessionId: 'C1' }]);
  });

  it("removes only the moved legs' branches of a session another leg is still in", () => {
    const plan = answeredPair();
    plan.outbound('C1', 'C');
    const left = plan.joined(plan.bridge('C1', 'A', 'B', 'u1'));
    expect(left).toEqual([
      { sessionId: 'C1', tag: 'A' },
      { sessionId: 'C1', tag: 'B' },
    ]);
    expect(plan.leave('C')).toEqual([{ sessionId: 'C1' }]);
  });

  it('deletes the session of a bridge that did not happen, and leaves the legs where they were', () => {
    const plan = answeredPair();
    const bridge = plan.bridge('C1', 'A', 'B', 'u1');
    expect(plan.abandoned(bridge)).toEqual([{ sessionId: bridge.sessionId }]);
    expect(plan.partyOf('A')).toEqual({ sessionId: 'C1', tag: 'A' });
  });

  it('deletes a bridge session when the second of its legs ends', () => {
    const plan = answeredPair();
    const bridge = plan.bridge('C1', 'A', 'B', 'u1');
    plan.joined(bridge);
    expect(plan.leave('A')).toEqual([]);
    expect(plan.leave('B')).toEqual([{ sessionId: bridge.sessionId }]);
  });
});

describe('media plan: unbridging', () => {
  const bridgedPair = () => {
    const plan = answeredPair();
    const bridge = plan.bridge('C1', 'A', 'B', 'u1');
    plan.joined(bridge);
    return { plan, bridge };
  };

  it('gives each leg a session of its own, keeping its tag, without moving it yet', () => {
    const { plan, bridge } = bridgedPair();
    const a = plan.alone('C1', 'A', 'x');
    const b = plan.alone('C1', 'B', 'y');
    expect(a.tag).toBe('A');
    expect(b.tag).toBe('B');
    expect(new Set([a.sessionId, b.sessionId, bridge.sessionId, 'C1']).size).toBe(4);
    expect(plan.partyOf('A')).toEqual(bridge.a);
  });

  it('moves both legs apart and deletes the bridge session nobody is left in', () => {
    const { plan, bridge } = bridgedPair();
    const a = plan.alone('C1', 'A', 'x');
    const b = plan.alone('C1', 'B', 'y');
    expect(plan.moved([a, b])).toEqual([
      { sessionId: bridge.sessionId, tag: 'A' },
      { sessionId: bridge.sessionId },
    ]);
    expect(plan.partyOf('A')).toEqual(a);
    expect(plan.partyOf('B')).toEqual(b);
    // Each session is the leg's own: it goes with the leg.
    expect(plan.leave('A')).toEqual([{ sessionId: a.sessionId }]);
  });

  it('deletes the sessions of an unbridge that did not happen', () => {
    const { plan, bridge } = bridgedPair();
    const a = plan.alone('C1', 'A', 'x');
    expect(plan.abandoned(a)).toEqual([{ sessionId: a.sessionId }]);
    expect(plan.partyOf('A')).toEqual(bridge.a);
  });

  it('bridges legs again after they were apart', () => {
    const { plan } = bridgedPair();
    const a = plan.alone('C1', 'A', 'x');
    const b = plan.alone('C1', 'B', 'y');
    plan.moved([a, b]);
    const again = plan.bridge('C1', 'A', 'B', 'u2');
    expect(plan.joined(again)).toEqual([{ sessionId: a.sessionId }, { sessionId: b.sessionId }]);
    expect(plan.partyOf('B')).toEqual(again.b);
  });
});

describe('media plan: when a session is deleted', () => {
  it("deletes the call's media session only when its last leg ends", () => {
    const plan = new MediaPlan();
    plan.inbound('C1', 'A');
    plan.used('A');
    plan.outbound('C1', 'B');
    expect(plan.leave('A')).toEqual([]);
    expect(plan.leave('B')).toEqual([{ sessionId: 'C1' }]);
  });

  it('does not delete a session whose media was never asked for', () => {
    const plan = new MediaPlan();
    plan.outbound('C1', 'B');
    expect(plan.leave('B')).toEqual([]);
  });

  it('holds no media for a leg that left, and leaving twice deletes nothing more', () => {
    const plan = new MediaPlan();
    plan.inbound('C1', 'A');
    plan.used('A');
    expect(plan.leave('A')).toEqual([{ sessionId: 'C1' }]);
    expect(plan.partyOf('A')).toBeUndefined();
    expect(plan.leave('A')).toEqual([]);
  });

  it("keeps calls apart: one call's last leg deletes only its own session", () => {
    const plan = new MediaPlan();
    for (const [call, leg] of [
      ['C1', 'A'],
      ['C2', 'B'],
    ]) {
      plan.inbound(call!, leg!);
      plan.used(leg!);
    }
    expect(plan.leave('A')).toEqual([{ sessionId: 'C1' }]);
    expect(plan.partyOf('B')).toEqual({ sessionId: 'C2', tag: 'B' });
  });
});
