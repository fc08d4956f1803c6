import { FactSequence } from './fact-sequence.js';

describe('fact sequence', () => {
  it('numbers each call on its own, from 1', () => {
    const s = new FactSequence();
    expect([s.next('a'), s.next('a'), s.next('b'), s.next('a')]).toEqual([1, 2, 1, 3]);
  });

  it('forgets the least recently numbered call beyond its limit', () => {
    const s = new FactSequence(2);
    s.next('a');
    s.next('b');
    s.next('a');
    s.next('c');
    expect([s.next('a'), s.next('b')]).toEqual([3, 1]);
  });
});
