import { createLogger } from '@callctl/logging';
import { LegNotFoundError } from '../domain/errors.js';
import { ENDED_LEGS_REMEMBERED, LegRegistry, type OutboundLeg } from './leg-registry.js';

const log = createLogger({ service: 'leg-registry-test', level: 'silent' });

function leg(callId: string, legId: string): OutboundLeg {
  return {
    direction: 'outbound',
    callId,
    legId,
    sipCallId: '',
    state: 'calling',
    log,
    progressSeen: new Set(),
  };
}

describe('leg registry', () => {
  it('finds a live leg by call and leg id, and refuses it under another call', () => {
    const registry = new LegRegistry();
    const a = leg('C1', 'L1');
    registry.add(a);
    expect(registry.live('C1', 'L1')).toBe(a);
    expect(() => registry.live('C2', 'L1')).toThrow(LegNotFoundError);
    expect(() => registry.lookup('C1', 'L9')).toThrow(LegNotFoundError);
  });

  it('remembers an ended leg: lookup gives undefined (ending it again is fine), live refuses it', () => {
    const registry = new LegRegistry();
    const a = leg('C1', 'L1');
    registry.add(a);
    registry.remove(a);
    expect(registry.lookup('C1', 'L1')).toBeUndefined();
    expect(() => registry.live('C1', 'L1')).toThrow(/has ended/);
    expect(registry.all()).toEqual([]);
  });

  it("reports the call's media session for deletion only when its last leg ends", () => {
    const registry = new LegRegistry();
    const a = leg('C1', 'A');
    const b = leg('C1', 'B');
    registry.add(a);
    registry.add(b);
    registry.markMedia('C1');
    expect(registry.remove(a)).toBe(false);
    expect(registry.remove(b)).toBe(true);
  });

  it('does not ask to delete a session a call never had', () => {
    const registry = new LegRegistry();
    const a = leg('C1', 'A');
    registry.add(a);
    expect(registry.remove(a)).toBe(false);
  });

  it("forgets the call's session once every live leg moved to a bridge session", () => {
    const registry = new LegRegistry();
    const [a, b, c] = [leg('C1', 'A'), leg('C1', 'B'), leg('C1', 'C')];
    [a, b, c].forEach((l) => registry.add(l));
    registry.markMedia('C1');
    a.bridgeSessionId = b.bridgeSessionId = 'C1/bridge/1';
    registry.forgetCallSessionIfUnused('C1');
    expect(registry.bridgeSessionInUse('C1/bridge/1')).toBe(true);
    expect(registry.remove(c)).toBe(false); // C's media was still in the call's session
    registry.forgetCallSessionIfUnused('C1');
    expect(registry.remove(a)).toBe(false);
    expect(registry.bridgeSessionInUse('C1/bridge/1')).toBe(true);
    expect(registry.remove(b)).toBe(false); // its branches were deleted at the bridge: nothing to delete
    expect(registry.bridgeSessionInUse('C1/bridge/1')).toBe(false);
  });

  it('forgets the oldest ended legs beyond its bound', () => {
    const registry = new LegRegistry();
    for (let i = 0; i <= ENDED_LEGS_REMEMBERED; i++) {
      const l = leg('C', `L${i}`);
      registry.add(l);
      registry.remove(l);
    }
    expect(() => registry.lookup('C', 'L0')).toThrow(LegNotFoundError);
    expect(registry.lookup('C', `L${ENDED_LEGS_REMEMBERED}`)).toBeUndefined();
  });
});
