import { nameUuid, uuidv7 } from './ids.js';

const UUID_V7 = /^[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;

describe('uuidv7', () => {
  it('is an RFC 9562 version 7 UUID whose first 48 bits are the time in ms', () => {
    const nowMs = Date.UTC(2026, 10, 23, 17, 0, 0, 123);
    const id = uuidv7(nowMs);
    expect(id).toMatch(UUID_V7);
    expect(parseInt(id.slice(0, 8) + id.slice(9, 13), 16)).toBe(nowMs);
  });

  it('sorts by time across milliseconds and differs within one', () => {
    expect(uuidv7(1_000) < uuidv7(1_001)).toBe(true);
    expect(uuidv7(0)).toMatch(/^00000000-0000-7/);
    const same = new Set(Array.from({ length: 100 }, () => uuidv7(5_000)));
    expect(same.size).toBe(100);
  });
});

describe('nameUuid', () => {
  it('gives the ids it always gave (they are stored in the log, so a retry across versions finds them)', () => {
    expect(nameUuid('a')).toBe('cd1295aa-5dba-545e-afb1-ea6e36bd7128');
    expect(nameUuid('fact', 'b', 'c')).toBe('87092877-e568-55eb-b5ea-bf5e7b9a9722');
    expect(nameUuid('')).toBe('c80de8c4-2a50-5dea-bfd7-f4d227714bcf');
  });
});
