import { createSocket } from 'node:dgram';
import { createLogger } from '@callctl/logging';
import type { SipRequest, SipResponse } from '@callctl/sip';
import { waitFor } from '@callctl/testing';
import { UdpTransport } from '../transport/udp-transport.js';
import { createFrontDoor } from './front-door.js';

const log = createLogger({ service: 'sip-engine-test', level: 'silent' });

async function setup() {
  const requests: SipRequest[] = [];
  const responses: SipResponse[] = [];
  const door = createFrontDoor({
    log,
    onRequest: (r) => requests.push(r),
    onResponse: (r) => responses.push(r),
  });
  const transport = await UdpTransport.listen({ host: '127.0.0.1', port: 0, log, onMessage: door });
  const peer = createSocket('udp4');
  await new Promise<void>((r) => peer.bind(0, '127.0.0.1', () => r()));
  const replies: string[] = [];
  peer.on('message', (m) => replies.push(m.toString()));
  const send = (text: string) => peer.send(Buffer.from(text), transport.local.port, '127.0.0.1');
  return {
    requests,
    responses,
    replies,
    send,
    port: peer.address().port,
    async [Symbol.asyncDispose]() {
      peer.close();
      await transport.close();
    },
  };
}

const options = (port: number, extra = '') =>
  `OPTIONS sip:engine@127.0.0.1 SIP/2.0\r\nVia: SIP/2.0/UDP 127.0.0.1:${port};branch=z9hG4bK-1;rport\r\n` +
  `Max-Forwards: 70\r\nFrom: <sip:a@127.0.0.1>;tag=1\r\nTo: <sip:engine@127.0.0.1>\r\nCall-ID: c1\r\n` +
  `CSeq: 1 OPTIONS\r\n${extra}Content-Length: 0\r\n\r\n`;

describe('front door over a real UDP listener', () => {
  it('passes a valid request to the transaction layer', async () => {
    await using env = await setup();
    env.send(options(env.port));
    await waitFor('request', () => env.requests.length === 1);
    expect(env.requests[0]!.method).toBe('OPTIONS');
  });

  it('answers a request with a broken CSeq with 400 naming the problem', async () => {
    await using env = await setup();
    env.send(options(env.port).replace('CSeq: 1 OPTIONS', 'CSeq: x OPTIONS'));
    await waitFor('reply', () => env.replies.length === 1);
    expect(env.replies[0]).toMatch(/^SIP\/2\.0 400 .*CSeq/i);
    expect(env.requests).toHaveLength(0);
  });

  it('drops a malformed response silently and keeps serving', async () => {
    await using env = await setup();
    env.send('SIP/2.0 abc Broken\r\nVia: SIP/2.0/UDP 127.0.0.1:1;branch=z9hG4bKx\r\n\r\n');
    env.send(options(env.port));
    await waitFor('request after the bad response', () => env.requests.length === 1);
    expect(env.responses).toHaveLength(0);
    expect(env.replies).toHaveLength(0);
  });
});
