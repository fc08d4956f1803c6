import { OUTBOUND_FLOW_TIMER_S, outboundHeaders } from './registrar-outbound.js';

const contact =
  '<sip:alice@df7jal23ls0d.invalid;transport=ws>;reg-id=1;+sip.instance="<urn:uuid:4f6a7a0e-1d5b-4a2c-9d3e-0c1f2a3b4c5d>";expires=600';

describe('RFC 5626 outbound at the registrar', () => {
  it('answers a REGISTER that supports outbound and names reg-id and instance with Require and Flow-Timer', () => {
    expect(outboundHeaders({ transport: 'wss', supported: 'path, gruu, outbound', contact })).toEqual({
      Require: 'outbound',
      'Flow-Timer': String(OUTBOUND_FLOW_TIMER_S),
    });
    expect(outboundHeaders({ transport: 'wss', supported: 'Outbound', contact }, 25)).toEqual({
      Require: 'outbound',
      'Flow-Timer': '25',
    });
  });

  it('adds nothing when the device did not ask (no option tag, reg-id, instance or Contact) or is on UDP', () => {
    expect(outboundHeaders({ transport: 'wss', supported: 'path, gruu', contact })).toEqual({});
    expect(outboundHeaders({ transport: 'wss', supported: undefined, contact })).toEqual({});
    expect(
      outboundHeaders({
        transport: 'wss',
        supported: 'outbound',
        contact: '<sip:alice@10.0.0.5>;expires=60',
      }),
    ).toEqual({});
    expect(
      outboundHeaders({
        transport: 'wss',
        supported: 'outbound',
        contact: '<sip:alice@10.0.0.5>;reg-id=1;expires=60',
      }),
    ).toEqual({});
    expect(outboundHeaders({ transport: 'wss', supported: 'outbound', contact: undefined })).toEqual({});
    // Over UDP the keep-alives would be STUN, which the engine does not answer: no flow is promised.
    expect(outboundHeaders({ transport: 'udp', supported: 'outbound', contact })).toEqual({});
    expect(outboundHeaders({ transport: 'TCP', supported: 'outbound', contact })).toMatchObject({
      Require: 'outbound',
    });
    expect(outboundHeaders({ transport: 'wss', supported: 'outbound', contact: '<sip:broken' })).toEqual({});
  });
});
