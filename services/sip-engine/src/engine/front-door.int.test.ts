import { createSocket } from 'node:dgram';
import { createLogger } from '@callctl/logging';
import type { SipRequest, SipResponse } from '@callctl/sip';
import { waitFor } from '@callctl/testing';
import { captureLog } from '../../test/support/captured-log.js';
import { ManualClock } from '../core/manual-clock.js';
import { UdpTransport } from '../transport/udp-transport.js';
import { createFrontDoor } from './front-door.js';
import { MalformedTally } from './malformed-tally.js';

const log = createLogger({ service: 'sip-engine-test', level: 'silent' });

async function setup(
  options: { log?: typeof log; onResponse?: (r: SipResponse) => void; clock?: ManualClock } = {},
) {
  const requests: SipRequest[] = [];
  const responses: SipResponse[] = [];
  const malformed = new MalformedTally({
    log: options.log ?? log,
    clock: options.clock ?? new ManualClock(),
  });
  const door = createFrontDoor({
    log: options.log ?? log,
    malformed,
    onRequest: (r) => requests.push(r),
    onResponse: options.onResponse ?? ((r) => responses.push(r)),
  });
  const transport = await UdpTransport.listen({ host: '127.0.0.1', port: 0, log, onMessage: door });
  const peer = createSocket('udp4');
  await new Promise<void>((r) => peer.bind(0, '127.0.0.1', () => r()));
  const replies: string[] = [];
  peer.on('message', (m) => replies.push(m.toString()));
  const send = (text: string) => peer.send(Buffer.from(text), transport.local.port, '127.0.0.1');
  return {
    malformed,
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

  it('logs a malformed request once, at info, with the reason and the source, without a stack', async () => {
    const captured = captureLog();
    await using env = await setup({ log: captured.log });
    env.send(options(env.port, 'A header line without a colon\r\n'));
    await waitFor('log line', () => captured.lines().length > 0);
    expect(captured.lines()).toEqual([
      expect.objectContaining({
        level: 'info',
        msg: 'malformed message',
        reason: 'Malformed header line',
        remote: { address: '127.0.0.1', port: env.port },
      }),
    ]);
    expect(JSON.stringify(captured.lines())).not.toMatch(/stack|"err"/);
  });

  it('logs a message whose header only fails when a handler reads it the same way, not as a warning', async () => {
    const captured = captureLog();
    // The transaction layer reads CSeq of a response; a bad one throws there, after the front door parsed.
    await using env = await setup({ log: captured.log, onResponse: (r) => void r.cseq });
    env.send(
      'SIP/2.0 200 OK\r\nVia: SIP/2.0/UDP 127.0.0.1:1;branch=z9hG4bKx\r\nCSeq: x INVITE\r\nCall-ID: 1\r\n' +
        'From: <sip:a@127.0.0.1>;tag=1\r\nTo: <sip:b@127.0.0.1>\r\nContent-Length: 0\r\n\r\n',
    );
    await waitFor('log line', () => captured.lines().length === 1);
    expect(captured.lines()[0]).toMatchObject({
      level: 'info',
      msg: 'malformed message',
      reason: expect.stringMatching(/CSeq/),
      remote: { address: '127.0.0.1', port: env.port },
    });
    expect(JSON.stringify(captured.lines())).not.toMatch(/stack|"err"/);
  });

  it('counts a burst of 1,000 junk datagrams and logs them in two lines: the first, then a summary', async () => {
    const captured = captureLog();
    const clock = new ManualClock();
    await using env = await setup({ log: captured.log, clock });
    // In batches, so that the kernel's default receive buffer never drops one.
    for (let sent = 0; sent < 1000; sent += 100) {
      for (let i = 0; i < 100; i++) env.send(`junk ${sent + i} \x01\x02 not sip`);
      await waitFor('batch counted', () => env.malformed.total === sent + 100 || undefined);
    }
    expect(captured.lines()).toHaveLength(1);
    clock.advance(10_000);
    const lines = captured.lines();
    expect(lines).toHaveLength(2);
    expect(lines[0]).toMatchObject({ msg: 'malformed message', remote: { address: '127.0.0.1' } });
    expect(lines[1]).toMatchObject({
      level: 'info',
      msg: 'malformed messages not logged one by one',
      count: 999,
      sample: { remote: { address: '127.0.0.1', port: env.port }, reason: expect.any(String) },
    });
    // A quiet window closes it: the next malformed message has its own line again.
    clock.advance(10_000);
    env.send('junk again');
    await waitFor('line', () => captured.lines().length === 3 || undefined);
    expect(env.malformed.total).toBe(1001);
  });
});
