import { OUTBOUND_FLOW_TIMER_S, outboundHeaders } from './registrar-outbound.js';

const contact =
  '<sip:alice@df7jal23ls0d.invalid;transport=ws>;reg-id=1;+sip.instance="<urn:uuid:4f6a7a0e-1d5b-4a2c-9d3e-0c1f2a3b4c5d>";expires=600';

describe('RFC 5626 outbound at the registrar', () => {
  it('answers a REGISTER that supports outbound and names reg-id and instance with Require and Flow-Timer', () => {
    expect(outboundHeaders({ supported: 'path, gruu, outbound', contact })).toEqual({
      Require: 'outbound',
      'Flow-Timer': String(OUTBOUND_FLOW_TIMER_S),
    });
    expect(outboundHeaders({ supported: 'Outbound', contact }, 25)).toEqual({
      Require: 'outbound',
      'Flow-Timer': '25',
    });
  });

  it('adds nothing when the device did not ask: no option tag, no reg-id, no instance, no Contact', () => {
    expect(outboundHeaders({ supported: 'path, gruu', contact })).toEqual({});
    expect(outboundHeaders({ supported: undefined, contact })).toEqual({});
    expect(outboundHeaders({ supported: 'outbound', contact: '<sip:alice@10.0.0.5>;expires=60' })).toEqual(
      {},
    );
    expect(
      outboundHeaders({ supported: 'outbound', contact: '<sip:alice@10.0.0.5>;reg-id=1;expires=60' }),
    ).toEqual({});
    expect(outboundHeaders({ supported: 'outbound', contact: undefined })).toEqual({});
    expect(outboundHeaders({ supported: 'outbound', contact: '<sip:broken' })).toEqual({});
  });
});
