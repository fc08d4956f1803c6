import { callEvents } from '@callctl/proto';
import type { GatewayAttempt, TrunkView } from '@callctl/provisioning';
import { notRegistered, outboundTargetOf } from './outbound-target.js';

const C = callEvents.EndCause;

const trunk: TrunkView = {
  name: 'carrier',
  inboundSources: [],
  gateways: [{ host: '127.0.0.1', port: 5090, transport: 'udp', priority: 1, weight: 1 }],
  numberPatterns: ['+44*'],
  callerId: { fromNumber: '', fromDomain: '', stripPlus: false, prefix: '' },
  updatedAtMs: 0,
};
const attempt: GatewayAttempt = {
  gateway: trunk.gateways[0]!,
  requestUri: 'sip:+442071234567@127.0.0.1:5090;transport=udp',
  fromUri: 'sip:+441@platform.test',
};

describe('where an outbound leg goes, from the dial plan', () => {
  it('calls a SIP URI as given', () => {
    expect(outboundTargetOf({ kind: 'direct', uri: 'sip:bob@127.0.0.1:5080' })).toEqual({
      kind: 'direct',
      uri: 'sip:bob@127.0.0.1:5080',
    });
  });

  it("tries a trunk's gateway attempts", () => {
    expect(outboundTargetOf({ kind: 'trunk', trunk, route: 'uk', attempts: [attempt] })).toEqual({
      kind: 'trunk',
      trunk,
      route: 'uk',
      attempts: [attempt],
    });
  });

  it('ends NO_ROUTE (404) for a trunk with no gateway, and for no route', () => {
    expect(outboundTargetOf({ kind: 'trunk', trunk, route: 'uk', attempts: [] })).toMatchObject({
      kind: 'unroutable',
      cause: C.END_CAUSE_NO_ROUTE,
      sipStatus: 404,
      reason: 'trunk carrier has no gateway',
    });
    expect(outboundTargetOf({ kind: 'none', reason: 'no route for +99' })).toEqual({
      kind: 'unroutable',
      cause: C.END_CAUSE_NO_ROUTE,
      sipStatus: 404,
      reason: 'no route for +99',
    });
  });

  it('names a platform user as user@domain', () => {
    expect(outboundTargetOf({ kind: 'user', aor: 'sip:alice@platform.test' })).toEqual({
      kind: 'user',
      aor: 'sip:alice@platform.test',
      user: 'alice@platform.test',
    });
  });

  it('ends a user with no contact NOT_REGISTERED (480)', () => {
    expect(notRegistered('alice@platform.test')).toEqual({
      kind: 'unroutable',
      cause: C.END_CAUSE_NOT_REGISTERED,
      sipStatus: 480,
      reason: 'alice@platform.test has no registered contact',
    });
  });
});
