import {
  ANONYMOUS_FROM,
  callerIdentity,
  identityHeaders,
  privacyWithholdsIdentity,
} from './asserted-identity.js';

describe('asserted identity of an outbound INVITE (RFC 3325, RFC 3323)', () => {
  it('asserts the From towards a trusted peer, and nothing towards an untrusted one', () => {
    const headers = { From: '<sip:+442071234567@platform.example>', 'X-Ref': '7' };
    expect(identityHeaders(headers, true)).toEqual({
      ...headers,
      'P-Asserted-Identity': '<sip:+442071234567@platform.example>',
    });
    expect(identityHeaders(headers, false)).toEqual(headers);
  });

  it('asserts a given identity instead of the From, and strips it (and P-Preferred-Identity) when untrusted', () => {
    const headers = {
      From: '<sip:callctl@localhost>',
      'p-asserted-identity': '<sip:alice@platform.example>',
      'P-Preferred-Identity': '<sip:mallory@platform.example>',
    };
    expect(identityHeaders(headers, true)).toEqual({
      From: '<sip:callctl@localhost>',
      'P-Asserted-Identity': '<sip:alice@platform.example>',
    });
    expect(identityHeaders(headers, false)).toEqual({ From: '<sip:callctl@localhost>' });
  });

  it('anonymises the From for everyone with Privacy: id, keeping the assertion for the trust domain only', () => {
    const headers = { From: '<sip:alice@platform.example>', Privacy: 'id' };
    expect(identityHeaders(headers, true)).toEqual({
      From: ANONYMOUS_FROM,
      Privacy: 'id',
      'P-Asserted-Identity': '<sip:alice@platform.example>',
    });
    expect(identityHeaders(headers, false)).toEqual({ From: ANONYMOUS_FROM, Privacy: 'id' });
  });

  it('reads the Privacy tokens that withhold the identity', () => {
    expect(privacyWithholdsIdentity('id')).toBe(true);
    expect(privacyWithholdsIdentity('header;ID')).toBe(true);
    expect(privacyWithholdsIdentity('user, critical')).toBe(true);
    expect(privacyWithholdsIdentity('none')).toBe(false);
    expect(privacyWithholdsIdentity('idx')).toBe(false);
    expect(privacyWithholdsIdentity(undefined)).toBe(false);
  });

  it("believes a caller's P-Asserted-Identity from the trust domain only; an authenticated device is its AOR", () => {
    expect(callerIdentity({ trustedSource: true, assertedIdentity: '<sip:+4420@carrier>' })).toEqual({
      assertedIdentity: '<sip:+4420@carrier>',
    });
    expect(callerIdentity({ trustedSource: false, assertedIdentity: '<sip:+4420@carrier>' })).toEqual({});
    expect(
      callerIdentity({
        trustedSource: false,
        assertedIdentity: '<sip:boss@carrier>',
        authenticatedUser: 'alice@platform.example',
        privacy: 'id',
      }),
    ).toEqual({ assertedIdentity: '<sip:alice@platform.example>', privacy: 'id' });
  });
});
