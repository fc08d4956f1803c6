import {
  MIN_REFRESH_MS,
  challengesIn,
  contactWithUser,
  grantedExpiresS,
  refreshDelayMs,
  registerOutcome,
  registrarTransport,
  retryDelayMs,
  type RegisterResponse,
} from './trunk-registration.js';

const OURS = 'sip:trunk-a@127.0.0.1:5070';

function response(status: number, headers: Record<string, string> = {}): RegisterResponse {
  const lower = Object.fromEntries(Object.entries(headers).map(([k, v]) => [k.toLowerCase(), v]));
  return { status, header: (name) => lower[name.toLowerCase()] };
}

describe('trunk registration: timing', () => {
  it('refreshes at half the granted expiry', () => expect(refreshDelayMs(3600)).toBe(1_800_000));
  it('never refreshes sooner than the floor, whatever a registrar grants', () =>
    expect(refreshDelayMs(1)).toBe(MIN_REFRESH_MS));
  it('backs off from the minimum, doubling per failure, up to the maximum', () =>
    expect([1, 2, 3, 4, 5, 6].map((n) => retryDelayMs(n, { minMs: 5000, maxMs: 30_000 }))).toEqual([
      5000, 10_000, 20_000, 30_000, 30_000, 30_000,
    ]));
  it('does not overflow after many failures', () =>
    expect(retryDelayMs(10_000, { minMs: 5000, maxMs: 300_000 })).toBe(300_000));
});

describe('trunk registration: the registrar answered', () => {
  it('takes the expiry of our contact among several', () =>
    expect(
      grantedExpiresS(
        response(200, {
          Contact:
            '<sip:other@10.0.0.1:5060>;expires=3600, <sip:trunk-a@127.0.0.1:5070;transport=udp>;expires=120',
          Expires: '900',
        }),
        OURS,
        3600,
      ),
    ).toBe(120));
  it('falls back to the Expires header, then to what was asked', () => {
    expect(grantedExpiresS(response(200, { Expires: '900' }), OURS, 3600)).toBe(900);
    expect(grantedExpiresS(response(200), OURS, 3600)).toBe(3600);
  });
  it('is registered on a 2xx that grants time', () =>
    expect(registerOutcome(response(200, { Contact: `<${OURS}>;expires=60` }), OURS, 3600)).toEqual({
      kind: 'registered',
      expiresS: 60,
    }));
  it('is not registered on a 2xx granting our contact nothing', () =>
    expect(registerOutcome(response(200, { Contact: `<${OURS}>;expires=0` }), OURS, 3600).kind).toBe(
      'failed',
    ));
  it('answers 401 and 407 with credentials', () => {
    expect(registerOutcome(response(401), OURS, 60).kind).toBe('challenged');
    expect(registerOutcome(response(407), OURS, 60).kind).toBe('challenged');
  });
  it('asks again with the Min-Expires of a 423', () =>
    expect(registerOutcome(response(423, { 'Min-Expires': '300' }), OURS, 60)).toEqual({
      kind: 'interval-too-brief',
      minExpiresS: 300,
    }));
  it('fails on a 423 without a usable Min-Expires, and on 403, 404, 5xx', () => {
    for (const status of [403, 404, 500, 503])
      expect(registerOutcome(response(status), OURS, 60).kind).toBe('failed');
    expect(registerOutcome(response(423, { 'Min-Expires': '30' }), OURS, 60).kind).toBe('failed');
  });
});

describe('trunk registration: challenges and contacts', () => {
  it('splits challenges the stack joined with commas (RFC 8760: one header per algorithm)', () =>
    expect(
      challengesIn(
        'Digest realm="p.test", nonce="a,b", qop="auth", algorithm=SHA-256, Digest realm="p.test", nonce="c", algorithm=MD5',
      ),
    ).toEqual([
      'Digest realm="p.test", nonce="a,b", qop="auth", algorithm=SHA-256',
      'Digest realm="p.test", nonce="c", algorithm=MD5',
    ]));
  it('has no challenge without the header', () => expect(challengesIn(undefined)).toEqual([]));
  it('puts the contact user into the engine URI', () =>
    expect(contactWithUser('sip:127.0.0.1:5070;transport=tcp', 'trunk-a')).toBe(
      'sip:trunk-a@127.0.0.1:5070;transport=tcp',
    ));
  it('registers over the registrar URI transport', () => {
    expect(registrarTransport('sip:reg.example:5060')).toBe('udp');
    expect(registrarTransport('sip:reg.example;transport=TCP')).toBe('tcp');
    expect(registrarTransport('sips:reg.example')).toBe('tls');
  });
});
