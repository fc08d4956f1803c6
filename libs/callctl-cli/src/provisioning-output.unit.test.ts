// What the provisioning commands print.
import { provisioning } from '@callctl/proto';
import { provisioningResponseJson, provisioningResponseText } from './provisioning-output.js';

const trunk = provisioning.Trunk.fromPartial({
  name: 'carrier-a',
  inboundSources: ['192.0.2.0/28'],
  gateways: [
    { host: 'gw1.example', port: 5060, transport: provisioning.SipTransport.SIP_TRANSPORT_UDP, weight: 1 },
    {
      host: '2001:db8::5',
      port: 5061,
      transport: provisioning.SipTransport.SIP_TRANSPORT_TLS,
      priority: 1,
      weight: 2,
    },
  ],
  outboundAuth: { username: 'acct', hasPassword: true },
  numberPatterns: ['+44*'],
  registration: { enabled: true, aor: 'sip:acct@example.net', registrarUri: 'sip:gw1.example:5060' },
  registrationStatus: {
    state: provisioning.RegistrationState.REGISTRATION_STATE_FAILING,
    lastStatus: 403,
    lastReason: 'Forbidden',
    instance: 'edge-1',
  },
});

describe('callctl provisioning output', () => {
  it('prints a trunk on one line, with its registration state and last status', () => {
    expect(provisioningResponseText('getTrunk', { trunk })).toBe(
      'trunk carrier-a sources=192.0.2.0/28 ' +
        'gateways=gw1.example:5060;transport=udp;priority=0;weight=1,[2001:db8::5]:5061;transport=tls;priority=1;weight=2 ' +
        'auth=acct numbers=+44* register=sip:acct@example.net registrar=sip:gw1.example:5060 ' +
        'registration=failing last=403 "Forbidden" instance=edge-1',
    );
  });

  it('prints what a carrier allowlists, one address a line', () => {
    const resources: provisioning.GetMediaResourcesResponse = {
      signalling: [
        {
          instance: 'edge-1',
          transport: provisioning.SipTransport.SIP_TRANSPORT_TCP,
          host: '192.0.2.5',
          port: 5060,
        },
      ],
      media: [{ instance: 'media-1', address: '192.0.2.6', portMin: 40000, portMax: 44999 }],
    };
    expect(provisioningResponseText('getMediaResources', resources)).toBe(
      'sip tcp 192.0.2.5:5060 instance=edge-1\nrtp 192.0.2.6 ports=40000-44999 instance=media-1',
    );
  });

  it('says created or replaced, and what an empty list means', () => {
    const route = { name: 'uk', pattern: '+44*', trunk: 'carrier-a', priority: 0 };
    expect(provisioningResponseText('putRoute', { route, created: true })).toBe(
      'created route uk +44* -> carrier-a priority=0',
    );
    expect(provisioningResponseText('listRegistrations', { bindings: [] })).toBe('not registered');
    expect(provisioningResponseJson('putRoute', { route, created: false })).toBe(
      '{"route":{"name":"uk","pattern":"+44*","trunk":"carrier-a"}}',
    );
  });
});
