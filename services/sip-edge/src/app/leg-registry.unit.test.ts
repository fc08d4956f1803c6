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
    status: { state: 'calling' },
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
