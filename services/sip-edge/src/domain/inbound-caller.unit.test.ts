import type { ProvisioningSnapshot, TrunkView, UserView } from '@callctl/provisioning';
import { parseCidr } from '@callctl/sip';
import { classifyInbound, parseAllowCidrs, routeDeviceCall, type InboundInput } from './inbound-caller.js';

const DOMAIN = 'pbx.example.com';
const domains = new Set([DOMAIN]);

function trunk(name: string, o: Partial<TrunkView> = {}): TrunkView {
  return {
    name,
    inboundSources: [],
    gateways: [{ host: `${name}.carrier.example`, port: 5060, transport: 'udp', priority: 0, weight: 1 }],
    numberPatterns: [],
    callerId: { fromNumber: '', fromDomain: '', stripPlus: false, prefix: '' },
    updatedAtMs: 0,
    ...o,
  };
}
const user = (username: string): UserView => ({
  domain: DOMAIN,
  username,
  displayName: '',
  ha1Md5: '',
  ha1Sha256: '',
  allowedCodecs: [],
  updatedAtMs: 0,
});
function snapshot(trunks: TrunkView[] = [], users: UserView[] = []): ProvisioningSnapshot {
  return {
    trunks: new Map(trunks.map((t) => [t.name, t])),
    domains: new Map([[DOMAIN, { name: DOMAIN, updatedAtMs: 0 }]]),
    users: new Map(users.map((u) => [`${u.username}@${u.domain}`, u])),
    routes: new Map(),
  };
}

const carrier = trunk('carrier', { inboundSources: ['198.51.100.0/24'] });
const provider = trunk('provider', {
  registration: {
    registrarUri: 'sip:sip.provider.example',
    aor: 'sip:acct@provider.example',
    expiresS: 600,
    contactUser: 'acct-7781',
  },
});

const invite = (o: Partial<InboundInput>) =>
  classifyInbound({
    snapshot: snapshot([carrier, provider]),
    platformDomains: domains,
    sourceAddress: '203.0.113.50',
    requestUri: 'sip:+442071234567@203.0.113.1',
    fromUri: 'sip:+15551234567@carrier.example',
    toUri: 'sip:+442071234567@203.0.113.1',
    allowCidrs: [],
    ...o,
  });

describe('inbound caller', () => {
  it('is the trunk whose inbound sources hold the source address', () =>
    expect(invite({ sourceAddress: '198.51.100.7' })).toEqual({ kind: 'trunk', trunk: 'carrier' }));

  it('is the registering trunk whose contact user the Request-URI names', () =>
    expect(invite({ requestUri: 'sip:acct-7781@203.0.113.1:5060' })).toEqual({
      kind: 'trunk',
      trunk: 'provider',
    }));

  it('is a device when From or To is in a platform domain', () => {
    expect(invite({ fromUri: `sip:alice@${DOMAIN}` })).toEqual({ kind: 'device', domain: DOMAIN });
    expect(invite({ toUri: `sip:bob@PBX.example.com` })).toEqual({ kind: 'device', domain: DOMAIN });
  });

  it('is allowed from INBOUND_ALLOW_CIDRS', () =>
    expect(
      invite({ sourceAddress: '127.0.0.1', allowCidrs: parseAllowCidrs('127.0.0.1/32, 10.0.0.0/8') }),
    ).toEqual({
      kind: 'allowed',
    }));

  it('is refused otherwise, 127.0.0.2 outside 127.0.0.1/32 included', () =>
    expect(invite({ sourceAddress: '127.0.0.2', allowCidrs: [parseCidr('127.0.0.1/32')] })).toEqual({
      kind: 'refused',
    }));

  it('reads an empty INBOUND_ALLOW_CIDRS as nobody', () => expect(parseAllowCidrs(' ')).toEqual([]));
});

describe('device call route', () => {
  const plan = snapshot([trunk('uk', { numberPatterns: ['+44*'] })], [user('alice'), user('bob')]);
  const route = (requestUri: string) =>
    routeDeviceCall(plan, domains, requestUri, `sip:alice@${DOMAIN}`, () => 0);

  it('goes to another user of the platform', () =>
    expect(route(`sip:bob@${DOMAIN}`)).toEqual({ kind: 'routed', routedTo: `sip:bob@${DOMAIN}` }));

  it('goes to a number the dial plan sends to a trunk', () =>
    expect(route(`sip:+442071234567@${DOMAIN}`)).toEqual({ kind: 'routed', routedTo: '+442071234567' }));

  it('has no route to a SIP address outside the platform: no open relay for a phone', () =>
    expect(route('sip:someone@elsewhere.example')).toEqual({
      kind: 'none',
      reason: "sip:someone@elsewhere.example is outside the platform's domains",
    }));

  it('has no route for an unknown user or an unrouted number', () => {
    expect(route(`sip:carol@${DOMAIN}`)).toMatchObject({ kind: 'none' });
    expect(route(`sip:+15551234567@${DOMAIN}`)).toMatchObject({ kind: 'none' });
  });
});
