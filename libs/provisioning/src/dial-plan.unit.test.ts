import { isCallctlError } from '@callctl/errors';
import fc from 'fast-check';
import {
  classifyTarget,
  orderGateways,
  routeTarget,
  trunkOfContactUser,
  trunkOfSource,
  validateNumberPattern,
  type DialTarget,
} from './dial-plan';
import type { GatewayView, ProvisioningSnapshot, RouteView, TrunkView, UserView } from './model';

const domains = new Set(['pbx.example.com']);

function gateway(host: string, o: Partial<GatewayView> = {}): GatewayView {
  return { host, port: 5060, transport: 'udp', priority: 0, weight: 1, ...o };
}
function trunk(name: string, o: Partial<TrunkView> = {}): TrunkView {
  return {
    name,
    inboundSources: [],
    gateways: [gateway(`${name}.carrier.example`)],
    numberPatterns: [],
    callerId: { fromNumber: '', fromDomain: '', stripPlus: false, prefix: '' },
    updatedAtMs: 0,
    ...o,
  };
}
function route(name: string, pattern: string, trunkName: string, priority = 0): RouteView {
  return { name, pattern, trunk: trunkName, priority, updatedAtMs: 0 };
}
function user(username: string, domain = 'pbx.example.com'): UserView {
  return { domain, username, displayName: '', ha1Md5: '', ha1Sha256: '', allowedCodecs: [], updatedAtMs: 0 };
}
function snapshot(o: {
  trunks?: TrunkView[];
  routes?: RouteView[];
  users?: UserView[];
}): ProvisioningSnapshot {
  return {
    trunks: new Map((o.trunks ?? []).map((t) => [t.name, t])),
    domains: new Map([...domains].map((d) => [d, { name: d, updatedAtMs: 0 }])),
    users: new Map((o.users ?? []).map((u) => [`${u.username}@${u.domain}`, u])),
    routes: new Map((o.routes ?? []).map((r) => [r.name, r])),
  };
}
const number = (n: string): DialTarget => ({ kind: 'number', number: n });
const first = () => 0;
const caller = 'sip:alice@pbx.example.com';

function expectInvalid(run: () => unknown): void {
  let thrown: unknown;
  try {
    run();
  } catch (error) {
    thrown = error;
  }
  expect(isCallctlError(thrown)).toBe(true);
  expect(thrown).toMatchObject({ kind: 'invalid_argument' });
}

describe('classifyTarget', () => {
  it.each([
    ['tel:+44-20-7123-4567', '+442071234567'],
    ['tel:+442071234567;phone-context=example.com', '+442071234567'],
    ['+442071234567', '+442071234567'],
    [' +44 20 7123 4567 ', '+442071234567'],
    ['02071234567', '02071234567'],
    ['*97#', '*97#'],
    ['sip:+442071234567@pbx.example.com', '+442071234567'],
    ['sip:0044-20-7123-4567@PBX.example.com;user=phone', '00442071234567'],
    ['sips:+15551234567;isub=12@pbx.example.com;user=phone', '+15551234567'],
  ])('%s is the number %s', (target, expected) => {
    expect(classifyTarget(target, domains)).toEqual({ kind: 'number', number: expected });
  });

  it('a user of a platform domain is the registrar’s, the domain lower-cased', () => {
    expect(classifyTarget('sip:alice@PBX.Example.com', domains)).toEqual({
      kind: 'user',
      aor: 'sip:alice@pbx.example.com',
      username: 'alice',
      domain: 'pbx.example.com',
    });
    expect(classifyTarget('sip:1001@pbx.example.com', domains)).toMatchObject({
      kind: 'user',
      username: '1001',
    });
    expect(classifyTarget('sip:bob%20smith@pbx.example.com', domains)).toMatchObject({
      username: 'bob smith',
    });
  });

  it('any other SIP URI is called as given', () => {
    expect(classifyTarget('sip:bob@192.0.2.10:5080;transport=tcp', domains)).toEqual({
      kind: 'sip',
      uri: 'sip:bob@192.0.2.10:5080;transport=tcp',
    });
    expect(classifyTarget('sip:+442071234567@carrier.example', domains)).toMatchObject({ kind: 'sip' });
  });

  it.each(['', 'alice', 'http://example.com', 'tel:', 'tel:abc', 'sip:pbx.example.com', '1.2.3.4', 'sip:a@'])(
    'refuses %j with INVALID_ARGUMENT',
    (target) => expectInvalid(() => classifyTarget(target, domains)),
  );
});

describe('validateNumberPattern', () => {
  it.each(['*', '+*', '+4420*', '+442071234567', '0044*', '112'])('accepts %s', (pattern) => {
    expect(() => validateNumberPattern(pattern)).not.toThrow();
  });
  it.each(['', '+', '44*2', '**', '+44 20*', 'abc', '*44', '4+4'])('refuses %j', (pattern) =>
    expectInvalid(() => validateNumberPattern(pattern)),
  );
});

describe('routeTarget: numbers', () => {
  const uk = trunk('uk', { numberPatterns: ['+44*'] });
  const london = trunk('london');
  const fallback = trunk('fallback');
  const plan = snapshot({
    trunks: [uk, london, fallback],
    routes: [route('london', '+4420*', 'london'), route('default', '*', 'fallback')],
  });

  it('the longest matching pattern wins', () => {
    expect(routeTarget(plan, number('+442071234567'), caller, first)).toMatchObject({
      kind: 'trunk',
      route: 'london',
      trunk: { name: 'london' },
    });
    expect(routeTarget(plan, number('+441612345678'), caller, first)).toMatchObject({ route: 'trunk:uk' });
    expect(routeTarget(plan, number('+15551234567'), caller, first)).toMatchObject({ route: 'default' });
  });

  it('an exact number beats a prefix of the same digits', () => {
    const s = snapshot({
      trunks: [london, fallback],
      routes: [route('prefix', '+4420*', 'london'), route('exact', '+4420', 'fallback', 9)],
    });
    expect(routeTarget(s, number('+4420'), caller, first)).toMatchObject({ route: 'exact' });
  });

  it('ties go by priority, then by name, and a route before a trunk’s own pattern', () => {
    const s = snapshot({
      trunks: [trunk('a', { numberPatterns: ['+1*'] }), trunk('b'), trunk('c')],
      routes: [
        route('z-first', '+1*', 'b', 1),
        route('y-second', '+1*', 'c', 2),
        route('x-also-first', '+1*', 'c', 1),
      ],
    });
    expect(routeTarget(s, number('+15551234567'), caller, first)).toMatchObject({ route: 'x-also-first' });
    const withoutRoutes = snapshot({ trunks: [trunk('a', { numberPatterns: ['+1*'] })] });
    expect(routeTarget(withoutRoutes, number('+1555'), caller, first)).toMatchObject({ route: 'trunk:a' });
  });

  it('passes over a route to a missing trunk or a trunk without gateways', () => {
    const s = snapshot({
      trunks: [trunk('empty', { gateways: [] }), fallback],
      routes: [
        route('gone', '+4420*', 'deleted'),
        route('empty', '+44*', 'empty'),
        route('default', '*', 'fallback'),
      ],
    });
    expect(routeTarget(s, number('+442071234567'), caller, first)).toMatchObject({ route: 'default' });
  });

  it('no matching route is none, with a reason', () => {
    const s = snapshot({ trunks: [uk] });
    expect(routeTarget(s, number('+15551234567'), caller, first)).toEqual({
      kind: 'none',
      reason: 'no route matches +15551234567',
    });
  });

  it('builds each attempt’s Request-URI and From with the caller-id rule', () => {
    const s = snapshot({
      trunks: [
        trunk('carrier', {
          numberPatterns: ['*'],
          gateways: [
            gateway('2001:db8::5', { port: 5070, transport: 'tcp' }),
            gateway('gw.carrier.example', { priority: 1, transport: 'tls', port: 5061 }),
          ],
          callerId: { fromNumber: '+442000000000', fromDomain: '', stripPlus: true, prefix: '9#' },
        }),
      ],
    });
    const decision = routeTarget(s, number('+442071234567'), caller, first);
    expect(
      decision.kind === 'trunk' &&
        decision.attempts.map(({ requestUri, fromUri }) => ({ requestUri, fromUri })),
    ).toEqual([
      {
        requestUri: 'sip:9%23442071234567@[2001:db8::5]:5070;transport=tcp',
        fromUri: 'sip:442000000000@[2001:db8::5]',
      },
      {
        requestUri: 'sip:9%23442071234567@gw.carrier.example:5061;transport=tls',
        fromUri: 'sip:442000000000@gw.carrier.example',
      },
    ]);
  });

  it('keeps the caller’s From user when the trunk sets no number, on the trunk’s From domain', () => {
    const s = snapshot({
      trunks: [
        trunk('carrier', {
          numberPatterns: ['*'],
          callerId: { fromNumber: '', fromDomain: 'platform.example', stripPlus: false, prefix: '' },
        }),
      ],
    });
    const decision = routeTarget(s, number('+15551234567'), 'sip:+15550001111@pbx.example.com', first);
    expect(decision).toMatchObject({
      attempts: [
        {
          requestUri: 'sip:+15551234567@carrier.carrier.example:5060;transport=udp',
          fromUri: 'sip:+15550001111@platform.example',
        },
      ],
    });
    const anonymous = routeTarget(s, number('+15551234567'), 'not a uri', first);
    expect(anonymous).toMatchObject({ attempts: [{ fromUri: 'sip:anonymous@platform.example' }] });
  });
});

describe('routeTarget: users and direct URIs', () => {
  const s = snapshot({ trunks: [trunk('out', { numberPatterns: ['*'] })], users: [user('alice')] });

  it('a provisioned user goes to the registrar', () => {
    expect(routeTarget(s, classifyTarget('sip:alice@pbx.example.com', domains), caller, first)).toEqual({
      kind: 'user',
      aor: 'sip:alice@pbx.example.com',
    });
  });

  it('digits dialled at the platform domain that are no user are routed as a number', () => {
    expect(
      routeTarget(s, classifyTarget('sip:02071234567@pbx.example.com', domains), caller, first),
    ).toMatchObject({
      kind: 'trunk',
      route: 'trunk:out',
    });
  });

  it('an unknown user is none', () => {
    expect(routeTarget(s, classifyTarget('sip:mallory@pbx.example.com', domains), caller, first)).toEqual({
      kind: 'none',
      reason: 'no user mallory in pbx.example.com',
    });
  });

  it('a SIP URI outside the platform is direct', () => {
    expect(routeTarget(s, { kind: 'sip', uri: 'sip:bob@192.0.2.1' }, caller, first)).toEqual({
      kind: 'direct',
      uri: 'sip:bob@192.0.2.1',
    });
  });
});

describe('orderGateways', () => {
  const gateways = [
    gateway('backup', { priority: 5 }),
    gateway('heavy', { priority: 1, weight: 3 }),
    gateway('light', { priority: 1, weight: 1 }),
  ];

  it('tries lower priorities first, whatever the random draw', () => {
    fc.assert(
      fc.property(
        fc.array(fc.double({ min: 0, max: 1, maxExcluded: true, noNaN: true }), { minLength: 4 }),
        (draws) => {
          let i = 0;
          const order = orderGateways(gateways, () => draws[i++ % draws.length]!).map((g) => g.host);
          expect(order).toHaveLength(3);
          expect(order[2]).toBe('backup');
          expect(new Set(order.slice(0, 2))).toEqual(new Set(['heavy', 'light']));
        },
      ),
    );
  });

  it('gives a gateway first place in proportion to its weight', () => {
    expect(orderGateways(gateways, () => 0.74).map((g) => g.host)).toEqual(['heavy', 'light', 'backup']);
    expect(orderGateways(gateways, () => 0.75).map((g) => g.host)).toEqual(['light', 'heavy', 'backup']);
    let seed = 1;
    const lcg = () => (seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31;
    let heavyFirst = 0;
    for (let n = 0; n < 4000; n++) if (orderGateways(gateways, lcg)[0]!.host === 'heavy') heavyFirst++;
    expect(heavyFirst / 4000).toBeGreaterThan(0.7);
    expect(heavyFirst / 4000).toBeLessThan(0.8);
  });

  it('treats a weight below 1 as 1', () => {
    const zero = [gateway('a', { weight: 0 }), gateway('b', { weight: 0 })];
    expect(orderGateways(zero, () => 0.6).map((g) => g.host)).toEqual(['b', 'a']);
  });
});

describe('inbound: which trunk', () => {
  const carrier = trunk('carrier', { inboundSources: ['203.0.113.0/24'] });
  const sbc = trunk('carrier-sbc', { inboundSources: ['203.0.113.8/29', '2001:db8::/48'] });
  const registered = trunk('provider', {
    registration: {
      registrarUri: 'sip:reg.example',
      aor: 'sip:acct@reg.example',
      expiresS: 600,
      contactUser: 'acct-7f',
    },
  });
  const broken = trunk('broken', { inboundSources: ['not-a-cidr'] });
  const s = snapshot({ trunks: [carrier, sbc, registered, broken] });

  it('a source is the trunk with the longest prefix holding it', () => {
    expect(trunkOfSource(s, '203.0.113.9')?.name).toBe('carrier-sbc');
    expect(trunkOfSource(s, '::ffff:203.0.113.200')?.name).toBe('carrier');
    expect(trunkOfSource(s, '2001:db8::1')?.name).toBe('carrier-sbc');
    expect(trunkOfSource(s, '198.51.100.1')).toBeUndefined();
  });

  it('a Request-URI user is the trunk registered with that contact user', () => {
    expect(trunkOfContactUser(s, 'acct-7f')?.name).toBe('provider');
    expect(trunkOfContactUser(s, 'ACCT-7F')).toBeUndefined();
    expect(trunkOfContactUser(s, 'alice')).toBeUndefined();
  });
});
