import { ha1, parseCredentials, verifyResponse } from '@callctl/sip';
import { answerOf, challengeHeaderOf, challengesOf } from './digest-answer.js';

describe("the platform's answer to a gateway's digest challenge", () => {
  it("cuts srf's joined header value into one challenge per scheme", () => {
    expect(
      challengesOf(
        'Digest realm="c.test", nonce="a,b", algorithm=SHA-256, qop="auth", Digest realm="c.test", nonce="n2", algorithm=MD5',
      ),
    ).toEqual([
      'Digest realm="c.test", nonce="a,b", algorithm=SHA-256, qop="auth"',
      'Digest realm="c.test", nonce="n2", algorithm=MD5',
    ]);
    expect(challengesOf(undefined)).toEqual([]);
  });

  it.each(['SHA-256', 'MD5'] as const)(
    'answers a %s challenge with qop=auth (RFC 8760 / RFC 2617)',
    (algorithm) => {
      const answer = answerOf({
        status: 401,
        challenges: [`Digest realm="c.test", nonce="n1", algorithm=${algorithm}, qop="auth"`],
        username: 'acct',
        password: 'secret',
        method: 'INVITE',
        uri: 'sip:+4420@127.0.0.1:5090',
        cnonce: '0a4f113b',
      });
      expect(answer).toMatchObject({ header: 'Authorization', stale: false });
      const credentials = parseCredentials(answer!.value)!;
      expect(credentials).toMatchObject({
        username: 'acct',
        realm: 'c.test',
        nonce: 'n1',
        uri: 'sip:+4420@127.0.0.1:5090',
        algorithm,
        qop: 'auth',
        nc: '00000001',
        cnonce: '0a4f113b',
      });
      // What the gateway checks: the response against the HA1 it holds for the account.
      expect(verifyResponse(credentials, 'INVITE', ha1(algorithm, 'acct', 'c.test', 'secret'))).toBe(true);
      expect(verifyResponse(credentials, 'INVITE', ha1(algorithm, 'acct', 'c.test', 'wrong'))).toBe(false);
    },
  );

  it('prefers the first challenge it speaks, answers a 407 in Proxy-Authorization, and sees stale=true', () => {
    const answer = answerOf({
      status: 407,
      challenges: [
        'Digest realm="c.test", nonce="n1", algorithm=SHA-512-256',
        'Digest realm="c.test", nonce="n2", algorithm=MD5, stale=true',
      ],
      username: 'acct',
      password: 'secret',
      method: 'INVITE',
      uri: 'sip:1@c.test',
      cnonce: 'c',
    });
    expect(answer).toMatchObject({ header: 'Proxy-Authorization', stale: true });
    expect(parseCredentials(answer!.value)).toMatchObject({ nonce: 'n2', algorithm: 'MD5' });
  });

  it('has no answer to a challenge in no algorithm it speaks', () => {
    const challenges = ['Basic realm="x"'];
    expect(
      answerOf({
        status: 401,
        challenges,
        username: 'a',
        password: 'b',
        method: 'INVITE',
        uri: 'sip:x',
        cnonce: 'c',
      }),
    ).toBeUndefined();
  });

  it('reads the challenge from WWW-Authenticate after 401 and Proxy-Authenticate after 407', () => {
    expect(challengeHeaderOf(401)).toBe('WWW-Authenticate');
    expect(challengeHeaderOf(407)).toBe('Proxy-Authenticate');
  });
});
