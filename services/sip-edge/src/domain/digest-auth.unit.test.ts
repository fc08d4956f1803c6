import type { UserView } from '@callctl/provisioning';
import {
  answerChallenge,
  formatCredentials,
  ha1,
  NonceCounts,
  parseChallenge,
  type DigestAlgorithm,
} from '@callctl/sip';
import { checkDigest, digestChallenges, type DigestInput, type DigestPolicy } from './digest-auth.js';

const NOW = 1_700_000_000_000;
const REALM = 'example.com';
const policy: DigestPolicy = {
  algorithms: ['SHA-256', 'MD5'],
  nonceSecret: 'a-secret-of-sixteen-chars',
  nonceTtlMs: 300_000,
};
const alice: UserView = {
  domain: REALM,
  username: 'alice',
  displayName: 'Alice',
  ha1Md5: ha1('MD5', 'alice', REALM, 'secret'),
  ha1Sha256: ha1('SHA-256', 'alice', REALM, 'secret'),
  allowedCodecs: [],
  updatedAtMs: 0,
};

function authorization(
  algorithm: DigestAlgorithm,
  o: { password?: string; nonceCount?: number; atMs?: number; nonce?: string; realm?: string } = {},
) {
  const challenge = parseChallenge(
    digestChallenges(policy, o.realm ?? REALM, o.atMs ?? NOW, false).find((c) => c.includes(algorithm))!,
  )!;
  return formatCredentials(
    answerChallenge({
      challenge: o.nonce ? { ...challenge, nonce: o.nonce } : challenge,
      username: 'alice',
      password: o.password ?? 'secret',
      method: 'REGISTER',
      uri: 'sip:example.com',
      nonceCount: o.nonceCount ?? 1,
      cnonce: 'c0ffee',
    }),
  );
}

const check = (authorizations: string[], more: Partial<DigestInput> = {}) =>
  checkDigest({
    authorizations,
    method: 'REGISTER',
    realm: REALM,
    username: 'alice',
    user: alice,
    nowMs: NOW,
    policy,
    nonceCounts: new NonceCounts(),
    ...more,
  });

describe('digest authentication of devices', () => {
  it('offers one challenge per algorithm, in the configured order, with qop=auth', () => {
    const challenges = digestChallenges(policy, REALM, NOW, true).map((c) => parseChallenge(c));
    expect(challenges.map((c) => c?.algorithm)).toEqual(['SHA-256', 'MD5']);
    expect(challenges.every((c) => c?.qop.includes('auth') && c.stale === true && c.realm === REALM)).toBe(
      true,
    );
  });

  it.each(['MD5', 'SHA-256'] as const)('accepts right %s credentials', (algorithm) =>
    expect(check([authorization(algorithm)])).toMatchObject({ kind: 'authenticated', user: alice }),
  );

  it('challenges a request without credentials', () =>
    expect(check([])).toEqual({ kind: 'challenge', stale: false, reason: 'no credentials' }));

  it('refuses a wrong password, and an unknown user alike, with 403', () => {
    expect(check([authorization('MD5', { password: 'guess' })])).toMatchObject({
      kind: 'refuse',
      status: 403,
    });
    expect(check([authorization('MD5')], { user: undefined })).toMatchObject({ kind: 'refuse', status: 403 });
  });

  it('challenges again when a nonce count is replayed', () => {
    const nonceCounts = new NonceCounts();
    const value = authorization('SHA-256');
    expect(check([value], { nonceCounts })).toMatchObject({ kind: 'authenticated' });
    expect(check([value], { nonceCounts })).toEqual({
      kind: 'challenge',
      stale: false,
      reason: 'replayed nonce count',
    });
  });

  it('accepts the next nonce count on the same nonce', () => {
    const nonceCounts = new NonceCounts();
    const first = authorization('MD5');
    const nonce = /nonce="([^"]+)"/.exec(first)![1]!;
    expect(check([first], { nonceCounts })).toMatchObject({ kind: 'authenticated' });
    expect(check([authorization('MD5', { nonce, nonceCount: 2 })], { nonceCounts })).toMatchObject({
      kind: 'authenticated',
    });
  });

  it('answers right credentials on an expired nonce with stale=true', () =>
    expect(check([authorization('MD5', { atMs: NOW - 400_000 })])).toEqual({
      kind: 'challenge',
      stale: true,
      reason: 'nonce expired',
    }));

  it('challenges a nonce it did not issue, and credentials for another realm', () => {
    expect(check([authorization('MD5', { nonce: 'x'.repeat(40) })])).toMatchObject({
      kind: 'challenge',
      stale: false,
    });
    expect(check([authorization('MD5', { realm: 'other.example' })])).toMatchObject({
      kind: 'challenge',
      reason: 'realm mismatch',
    });
  });

  it('challenges an algorithm it does not offer, and refuses malformed credentials with 400', () => {
    expect(check([authorization('MD5').replace('algorithm=MD5', 'algorithm=SHA-512')])).toMatchObject({
      kind: 'challenge',
      reason: 'unsupported algorithm SHA-512',
    });
    expect(check([`Digest realm="${REALM}", username="alice"`])).toMatchObject({
      kind: 'refuse',
      status: 400,
    });
  });

  it('refuses credentials of another user with 403', () =>
    expect(check([authorization('MD5')], { username: 'bob' })).toMatchObject({
      kind: 'refuse',
      status: 403,
    }));
});
