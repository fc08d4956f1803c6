import fc from 'fast-check';
import { createHash } from 'node:crypto';
import {
  answerChallenge,
  expectedResponse,
  formatChallenge,
  formatCredentials,
  ha1,
  parseChallenge,
  parseCredentials,
  parseCredentialsWithReason,
  pickChallenge,
  verifyResponse,
  type DigestAlgorithm,
  type DigestChallenge,
  type DigestCredentials,
} from './digest';

// The reference computation, written out from RFC 2617 3.2.2.1-3 (RFC 7616 3.4.1 for SHA-256) apart from
// the code under test, straight on node:crypto.
function h(algorithm: DigestAlgorithm, text: string): string {
  return createHash(algorithm === 'MD5' ? 'md5' : 'sha256')
    .update(text)
    .digest('hex');
}
function referenceResponse(o: {
  algorithm: DigestAlgorithm;
  username: string;
  realm: string;
  password: string;
  method: string;
  uri: string;
  nonce: string;
  qop?: { nc: string; cnonce: string };
}): string {
  const a1 = h(o.algorithm, `${o.username}:${o.realm}:${o.password}`);
  const a2 = h(o.algorithm, `${o.method}:${o.uri}`);
  return o.qop === undefined
    ? h(o.algorithm, `${a1}:${o.nonce}:${a2}`)
    : h(o.algorithm, `${a1}:${o.nonce}:${o.qop.nc}:${o.qop.cnonce}:auth:${a2}`);
}

describe('digest responses: published vectors', () => {
  it('RFC 2617 3.5 (MD5, qop=auth)', () => {
    const credentials = parseCredentials(
      'Digest username="Mufasa", realm="testrealm@host.com", nonce="dcd98b7102dd2f0e8b11d0f600bfb0c093", ' +
        'uri="/dir/index.html", qop=auth, nc=00000001, cnonce="0a4f113b", ' +
        'response="6629fae49393a05397450978507c4ef1", opaque="5ccc069c403ebaf9f0171e9517f40e41"',
    )!;
    const stored = ha1('MD5', 'Mufasa', 'testrealm@host.com', 'Circle Of Life');
    expect(stored).toBe(h('MD5', 'Mufasa:testrealm@host.com:Circle Of Life'));
    expect(expectedResponse(credentials, 'GET', stored)).toBe('6629fae49393a05397450978507c4ef1');
    expect(verifyResponse(credentials, 'GET', stored)).toBe(true);
    expect(verifyResponse(credentials, 'POST', stored)).toBe(false);
  });

  // RFC 7616 3.9.1: the same request answered with MD5 and with SHA-256 (the algorithms RFC 8760 brings to SIP).
  const rfc7616 = {
    username: 'Mufasa',
    realm: 'http-auth@example.org',
    password: 'Circle of Life',
    method: 'GET',
    uri: '/dir/index.html',
    nonce: '7ypf/xlj9XXwfDPEoM4URrv/xwf94BcCAzFZH4GiTo0v',
    qop: { nc: '00000001', cnonce: 'f2/wE4q74E6zIJEtWaHKaf5wv/H5QzzpXusqGemxURZJ' },
  };
  it.each([
    ['MD5', '8ca523f5e9506fed4657c9700eebdbec'],
    ['SHA-256', '753927fa0e85d155564e2e272a28d1802ca10daf4496794697cf8db5856cb6c1'],
  ] as const)('RFC 7616 3.9.1 with %s', (algorithm, published) => {
    expect(referenceResponse({ ...rfc7616, algorithm })).toBe(published);
    const answered = answerChallenge({
      challenge: { realm: rfc7616.realm, nonce: rfc7616.nonce, algorithm, qop: ['auth', 'auth-int'] },
      username: rfc7616.username,
      password: rfc7616.password,
      method: rfc7616.method,
      uri: rfc7616.uri,
      nonceCount: 1,
      cnonce: rfc7616.qop.cnonce,
    });
    expect(answered).toMatchObject({ qop: 'auth', nc: '00000001', response: published, algorithm });
  });

  // A SIP REGISTER as a phone sends it (RFC 8760 style: the same request under each algorithm).
  it.each(['MD5', 'SHA-256'] as const)(
    'a SIP REGISTER answered with %s, and RFC 2069 style without qop',
    (algorithm) => {
      const o = {
        algorithm,
        username: 'alice',
        realm: 'pbx.example.com',
        password: 'wonderland 42',
        method: 'REGISTER',
        uri: 'sip:pbx.example.com',
        nonce: 'AAABjQ6v9Q0x2n7a',
      };
      const stored = ha1(algorithm, o.username, o.realm, o.password);
      for (const qop of [undefined, { nc: '0000000a', cnonce: 'c0ffee' }]) {
        const credentials: DigestCredentials = {
          ...o,
          response: referenceResponse({ ...o, qop }),
          ...(qop === undefined ? {} : { qop: 'auth' as const, ...qop }),
        };
        expect(verifyResponse(credentials, 'REGISTER', stored)).toBe(true);
        expect(
          verifyResponse(
            { ...credentials, response: credentials.response.toUpperCase() },
            'REGISTER',
            stored,
          ),
        ).toBe(true);
        expect(verifyResponse(credentials, 'REGISTER', ha1(algorithm, o.username, o.realm, 'wrong'))).toBe(
          false,
        );
        expect(verifyResponse({ ...credentials, uri: 'sip:evil.example.com' }, 'REGISTER', stored)).toBe(
          false,
        );
      }
    },
  );
});

describe('challenges', () => {
  it('formats a challenge with qop, opaque and stale, and parses it back', () => {
    const challenge: DigestChallenge = {
      realm: 'pbx.example.com',
      nonce: 'n-1',
      algorithm: 'SHA-256',
      qop: ['auth'],
      opaque: 'o"1',
      stale: true,
    };
    const text = formatChallenge(challenge);
    expect(text).toBe(
      'Digest realm="pbx.example.com", nonce="n-1", algorithm=SHA-256, qop="auth", opaque="o\\"1", stale=true',
    );
    expect(parseChallenge(text)).toEqual(challenge);
  });

  it('reads what Kamailio and others send: any case, no algorithm (MD5), quoted algorithm, qop lists', () => {
    expect(
      parseChallenge('digest REALM="r",nonce="n" ,qop="auth,auth-int",algorithm="sha-256",stale=TRUE'),
    ).toEqual({ realm: 'r', nonce: 'n', algorithm: 'SHA-256', qop: ['auth', 'auth-int'], stale: true });
    expect(parseChallenge('Digest realm="r", nonce="n"')).toEqual({
      realm: 'r',
      nonce: 'n',
      algorithm: 'MD5',
      qop: [],
    });
    expect(parseChallenge('Digest realm="r", nonce="n", stale=false')).toEqual({
      realm: 'r',
      nonce: 'n',
      algorithm: 'MD5',
      qop: [],
    });
  });

  it.each([
    ['another scheme', 'Basic realm="r"'],
    ['an algorithm we do not speak', 'Digest realm="r", nonce="n", algorithm=SHA-512-256'],
    ['a -sess algorithm', 'Digest realm="r", nonce="n", algorithm=MD5-sess'],
    ['no nonce', 'Digest realm="r"'],
    ['no realm', 'Digest nonce="n"'],
    ['an unterminated quote', 'Digest realm="r, nonce="n'],
    ['a repeated parameter', 'Digest realm="r", realm="s", nonce="n"'],
    ['garbage between parameters', 'Digest realm="r" nonce="n"'],
    ['the scheme glued to a word', 'Digestrealm="r", nonce="n"'],
  ])('refuses %s', (_why, text) => {
    expect(parseChallenge(text)).toBeUndefined();
  });

  it('picks the first challenge whose algorithm we speak, in the order received (RFC 8760)', () => {
    const sha512 = 'Digest realm="r", nonce="a", algorithm=SHA-512-256, qop="auth"';
    const sha256 = 'Digest realm="r", nonce="b", algorithm=SHA-256, qop="auth"';
    const md5 = 'Digest realm="r", nonce="c", algorithm=MD5, qop="auth"';
    expect(pickChallenge([sha512, sha256, md5])?.algorithm).toBe('SHA-256');
    expect(pickChallenge([md5, sha256])?.algorithm).toBe('MD5');
    expect(pickChallenge([sha512, 'Basic realm="x"'])).toBeUndefined();
    expect(pickChallenge([])).toBeUndefined();
  });
});

describe('credentials', () => {
  it('answers a challenge without qop RFC 2069 style (no nc, no cnonce) and echoes opaque', () => {
    const credentials = answerChallenge({
      challenge: { realm: 'carrier', nonce: 'xyz', algorithm: 'MD5', qop: [], opaque: 'op' },
      username: 'trunk1',
      password: 'secret',
      method: 'INVITE',
      uri: 'sip:+442071234567@carrier.example',
      nonceCount: 1,
      cnonce: 'ignored',
    });
    expect(credentials).toEqual({
      username: 'trunk1',
      realm: 'carrier',
      nonce: 'xyz',
      uri: 'sip:+442071234567@carrier.example',
      algorithm: 'MD5',
      opaque: 'op',
      response: referenceResponse({
        algorithm: 'MD5',
        username: 'trunk1',
        realm: 'carrier',
        password: 'secret',
        method: 'INVITE',
        uri: 'sip:+442071234567@carrier.example',
        nonce: 'xyz',
      }),
    });
    expect(formatCredentials(credentials)).not.toMatch(/qop|nc=|cnonce/);
  });

  it('writes the nonce count as 8 hex digits', () => {
    const credentials = answerChallenge({
      challenge: { realm: 'r', nonce: 'n', algorithm: 'SHA-256', qop: ['auth'] },
      username: 'u',
      password: 'p',
      method: 'REGISTER',
      uri: 'sip:r',
      nonceCount: 255,
      cnonce: 'c',
    });
    expect(credentials.nc).toBe('000000ff');
    expect(formatCredentials(credentials)).toContain('qop=auth, nc=000000ff, cnonce="c"');
  });

  const arbitraryText = fc.string({ unit: 'grapheme', maxLength: 24 });
  it('round-trips: answer a challenge, format, parse, verify against the stored HA1', () => {
    fc.assert(
      fc.property(
        fc.record({
          algorithm: fc.constantFrom<DigestAlgorithm>('MD5', 'SHA-256'),
          username: arbitraryText,
          realm: arbitraryText,
          nonce: arbitraryText,
          password: arbitraryText,
          uri: arbitraryText,
          method: fc.constantFrom('REGISTER', 'INVITE', 'BYE'),
          withQop: fc.boolean(),
          opaque: fc.option(arbitraryText, { nil: undefined }),
          nonceCount: fc.integer({ min: 1, max: 0xffffffff }),
          cnonce: fc.string({ minLength: 1, maxLength: 16 }),
        }),
        (o) => {
          const challenge: DigestChallenge = {
            realm: o.realm,
            nonce: o.nonce,
            algorithm: o.algorithm,
            qop: o.withQop ? ['auth'] : [],
            ...(o.opaque === undefined ? {} : { opaque: o.opaque }),
          };
          expect(parseChallenge(formatChallenge(challenge))).toEqual(challenge);
          const answered = answerChallenge({ challenge, ...o });
          const parsed = parseCredentials(formatCredentials(answered));
          expect(parsed).toEqual(answered);
          const stored = ha1(o.algorithm, o.username, o.realm, o.password);
          expect(verifyResponse(parsed!, o.method, stored)).toBe(true);
          expect(
            verifyResponse(parsed!, o.method, ha1(o.algorithm, o.username, o.realm, `${o.password}x`)),
          ).toBe(false);
          expect(parsed!.response).toBe(
            referenceResponse({
              ...o,
              qop: o.withQop
                ? { nc: o.nonceCount.toString(16).padStart(8, '0'), cnonce: o.cnonce }
                : undefined,
            }),
          );
        },
      ),
      { numRuns: 300 },
    );
  });

  it('says why an Authorization value is refused', () => {
    const base = 'username="a", realm="r", nonce="n", uri="sip:r"';
    const md5 = 'response="0123456789abcdef0123456789abcdef"';
    const cases: Array<[string, string]> = [
      ['Basic YWxhZGRpbjpvcGVuc2VzYW1l', 'not a Digest authorization'],
      ['Digest username="a" realm="r"', 'not a Digest authorization'],
      [`Digest realm="r", nonce="n", uri="sip:r", ${md5}`, 'digest username missing'],
      [`Digest username="a", nonce="n", uri="sip:r", ${md5}`, 'digest realm missing'],
      [`Digest username="a", realm="r", nonce="n", ${md5}`, 'digest uri missing'],
      [`Digest ${base}`, 'digest response missing'],
      [`Digest ${base}, ${md5}, algorithm=SHA-512-256`, 'digest algorithm SHA-512-256 not supported'],
      [`Digest ${base}, ${md5}, algorithm=SHA-256`, 'digest response is not 64 hex digits'],
      [`Digest ${base}, response="xyz"`, 'digest response is not 32 hex digits'],
      [`Digest ${base}, ${md5}, qop=auth-int, nc=00000001, cnonce="c"`, 'digest qop auth-int not supported'],
      [`Digest ${base}, ${md5}, qop=auth, cnonce="c"`, 'digest nc is not 8 hex digits'],
      [`Digest ${base}, ${md5}, qop=auth, nc=1, cnonce="c"`, 'digest nc is not 8 hex digits'],
      [`Digest ${base}, ${md5}, qop=auth, nc=00000001`, 'digest cnonce missing'],
    ];
    for (const [value, reason] of cases) {
      expect(parseCredentialsWithReason(value)).toEqual({ reason });
      expect(parseCredentials(value)).toBeUndefined();
    }
  });

  it('reads a value with tokens unquoted and the response in upper case', () => {
    expect(
      parseCredentials(
        'Digest username="bob",realm="r",nonce="n",uri="sip:r",response="0123456789ABCDEF0123456789ABCDEF",' +
          'algorithm=md5,qop="auth",nc=0000000A,cnonce="x"',
      ),
    ).toEqual({
      username: 'bob',
      realm: 'r',
      nonce: 'n',
      uri: 'sip:r',
      response: '0123456789abcdef0123456789abcdef',
      algorithm: 'MD5',
      qop: 'auth',
      nc: '0000000A',
      cnonce: 'x',
    });
  });
});
