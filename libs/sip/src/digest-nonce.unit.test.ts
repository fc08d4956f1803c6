import fc from 'fast-check';
import { NonceCounts, checkNonce, issueNonce } from './digest-nonce';

const secret = 'a shared secret of the sip-edge instances';
const realm = 'pbx.example.com';
const ttlMs = 300_000;
const t0 = Date.UTC(2026, 0, 1);

describe('stateless nonces', () => {
  it('a nonce is valid for its realm through its life, then stale', () => {
    const nonce = issueNonce(secret, t0, realm);
    expect(checkNonce(secret, nonce, t0, ttlMs, realm)).toBe('valid');
    expect(checkNonce(secret, nonce, t0 + ttlMs, ttlMs, realm)).toBe('valid');
    expect(checkNonce(secret, nonce, t0 + ttlMs + 1, ttlMs, realm)).toBe('stale');
  });

  it('another instance with the same secret accepts it (nothing is stored)', () => {
    const nonce = issueNonce(secret, t0, realm);
    expect(checkNonce('a shared secret of the sip-edge instances', nonce, t0 + 1000, ttlMs, realm)).toBe(
      'valid',
    );
  });

  it('a nonce from a clock slightly ahead is still ours and fresh', () => {
    expect(checkNonce(secret, issueNonce(secret, t0 + 2000, realm), t0, ttlMs, realm)).toBe('valid');
  });

  it('two nonces issued in the same millisecond differ', () => {
    expect(issueNonce(secret, t0, realm)).not.toBe(issueNonce(secret, t0, realm));
  });

  it('is a token a header can carry unquoted and quoted', () => {
    expect(issueNonce(secret, t0, realm)).toMatch(/^[A-Za-z0-9_-]{40}$/);
  });

  it('refuses a nonce of another secret or another realm, even an old one (invalid, never stale)', () => {
    const nonce = issueNonce(secret, t0, realm);
    expect(checkNonce('another secret entirely', nonce, t0, ttlMs, realm)).toBe('invalid');
    expect(checkNonce(secret, nonce, t0, ttlMs, 'other.example.com')).toBe('invalid');
    expect(checkNonce(secret, nonce, t0 + 10 * ttlMs, ttlMs, 'other.example.com')).toBe('invalid');
  });

  it.each(['', 'abc', 'x'.repeat(40), 'dcd98b7102dd2f0e8b11d0f600bfb0c093', '=' + 'A'.repeat(39)])(
    'refuses the foreign nonce %j',
    (nonce) => {
      expect(checkNonce(secret, nonce, t0, ttlMs, realm)).toBe('invalid');
    },
  );

  it('refuses any alteration: a later issue time, another salt, a changed MAC', () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 29 }), fc.integer({ min: 1, max: 255 }), (index, xor) => {
        const bytes = Buffer.from(issueNonce(secret, t0, realm), 'base64url');
        bytes[index] = bytes[index]! ^ xor;
        expect(checkNonce(secret, bytes.toString('base64url'), t0, ttlMs, realm)).toBe('invalid');
      }),
      { numRuns: 300 },
    );
  });
});

describe('NonceCounts', () => {
  it('accepts rising counts and refuses a count not above the highest (a replay)', () => {
    const counts = new NonceCounts();
    expect(counts.accept('n', 1)).toBe(true);
    expect(counts.accept('n', 1)).toBe(false);
    expect(counts.accept('n', 3)).toBe(true);
    expect(counts.accept('n', 2)).toBe(false);
    expect(counts.accept('n', 4)).toBe(true);
    expect(counts.accept('other', 1)).toBe(true);
  });

  it('refuses a count that is not a positive integer', () => {
    const counts = new NonceCounts();
    for (const nc of [0, -1, 1.5, Number.NaN]) expect(counts.accept('n', nc)).toBe(false);
  });

  it('forgets the nonce seen first when full, and only it', () => {
    const counts = new NonceCounts(2);
    counts.accept('a', 5);
    counts.accept('b', 5);
    counts.accept('b', 6);
    counts.accept('c', 1);
    expect(counts.size).toBe(2);
    expect(counts.accept('b', 6)).toBe(false);
    expect(counts.accept('c', 1)).toBe(false);
    expect(counts.accept('a', 1)).toBe(true);
  });
});
