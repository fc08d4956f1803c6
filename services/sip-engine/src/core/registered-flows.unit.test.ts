import { buildResponse, parseMessage, type SipRequest } from '@callctl/sip';
import type { SipTransport } from '../transport/transport.js';
import { ManualClock } from './manual-clock.js';
import { RegisteredFlows } from './registered-flows.js';

/** A connection-oriented transport whose one connection is up while `up` says so. */
function connection(reliable = true) {
  const state = { up: true };
  const transport: SipTransport = {
    protocol: reliable ? 'tcp' : 'udp',
    reliable,
    local: { address: '127.0.0.1', port: 5060 },
    send: () => Promise.resolve(),
    isConnected: () => state.up,
    close: () => Promise.resolve(),
  };
  return { state, flow: { transport, remote: { address: '203.0.113.7', port: 41234 } } };
}

const register = (contact: string, expires = 60) =>
  parseMessage(
    Buffer.from(
      `REGISTER sip:example.com SIP/2.0\r\nVia: SIP/2.0/TCP 10.0.0.5:5060;branch=z9hG4bK-1\r\n` +
        `Max-Forwards: 70\r\nFrom: <sip:alice@example.com>;tag=1\r\nTo: <sip:alice@example.com>\r\n` +
        `Call-ID: r1\r\nCSeq: 1 REGISTER\r\nContact: <${contact}>\r\nExpires: ${expires}\r\nContent-Length: 0\r\n\r\n`,
    ),
  ) as SipRequest;

const ok = (request: SipRequest, granted: number) =>
  buildResponse(request, 200, 'OK', {
    headers: [['Contact', `<${request.contacts[0]!.uri}>;expires=${granted}`]],
  });

const CONTACT = 'sip:alice@10.0.0.5:5060;transport=tcp';

describe('registered flows (drachtio per-contact connection cache)', () => {
  it('sends an INVITE to the Contact over the connection the REGISTER came on, for the granted expiry', () => {
    const clock = new ManualClock();
    const flows = new RegisteredFlows(clock);
    const { flow } = connection();
    const request = register(CONTACT, 3600);
    flows.learn(request, ok(request, 120), flow);
    expect(flows.find('INVITE', 'sip:alice@10.0.0.5:5060;transport=tcp')).toBe(flow);
    expect(flows.find('OPTIONS', 'sip:alice@10.0.0.5')).toBe(flow);
    clock.advance(119_999);
    expect(flows.find('INVITE', CONTACT)).toBe(flow);
    clock.advance(1);
    expect(flows.find('INVITE', CONTACT)).toBeUndefined();
  });

  it('forgets the connection on un-REGISTER and ignores other methods, users and failures', () => {
    const flows = new RegisteredFlows(new ManualClock());
    const { flow } = connection();
    const request = register(CONTACT);
    flows.learn(request, buildResponse(request, 401, 'Unauthorized'), flow);
    expect(flows.size).toBe(0);
    flows.learn(request, ok(request, 60), flow);
    expect(flows.find('BYE', CONTACT)).toBeUndefined();
    expect(flows.find('INVITE', 'sip:bob@10.0.0.5:5060')).toBeUndefined();
    const unregister = register(CONTACT, 0);
    flows.learn(unregister, ok(unregister, 0), flow);
    expect(flows.size).toBe(0);
  });

  it('does not use a connection that is down, nor remember UDP', () => {
    const flows = new RegisteredFlows(new ManualClock());
    const tcp = connection();
    const request = register(CONTACT);
    flows.learn(request, ok(request, 60), tcp.flow);
    tcp.state.up = false;
    expect(flows.find('INVITE', CONTACT)).toBeUndefined();
    const udp = connection(false);
    const other = register('sip:carol@10.0.0.6');
    flows.learn(other, ok(other, 60), udp.flow);
    expect(flows.find('INVITE', 'sip:carol@10.0.0.6')).toBeUndefined();
  });

  it('keeps the connection pinned while the binding lasts: a refresh moves the pin, expiry releases it', () => {
    const clock = new ManualClock();
    const flows = new RegisteredFlows(clock);
    const { flow } = connection();
    const pins = { held: 0, taken: 0 };
    flow.transport.pin = () => {
      pins.held += 1;
      pins.taken += 1;
      let done = false;
      return () => {
        if (!done) pins.held -= 1;
        done = true;
      };
    };
    const request = register(CONTACT);
    flows.learn(request, ok(request, 60), flow);
    expect(pins).toEqual({ held: 1, taken: 1 });
    clock.advance(30_000);
    flows.learn(request, ok(request, 60), flow);
    expect(pins).toEqual({ held: 1, taken: 2 });
    clock.advance(60_000);
    expect(pins.held).toBe(0);
    flows.learn(request, ok(request, 60), flow);
    flows.close();
    expect(pins.held).toBe(0);
  });
});
