import { PartyMap } from './party-map.js';

describe('PartyMap', () => {
  it("finds one session's parties without the other sessions', and drops a session with its last party", () => {
    const map = new PartyMap<number>();
    map.set('call-1', 'A', 1);
    map.set('call-1', 'B', 2);
    map.set('call-2', 'A', 3);
    expect([...map.partiesOf('call-1')]).toEqual([
      ['A', 1],
      ['B', 2],
    ]);
    expect(map.get('call-2', 'A')).toBe(3);
    expect(map.get('call-2', 'B')).toBeUndefined();

    expect(map.delete('call-1', 'A')).toBe(true);
    expect(map.delete('call-1', 'A')).toBe(false);
    expect(map.delete('call-1', 'B')).toBe(true);
    expect(map.partiesOf('call-1').size).toBe(0);
    expect([...map.values()]).toEqual([3]);

    map.clear();
    expect([...map.values()]).toEqual([]);
  });
});
