import { createSocket } from 'node:dgram';
import { createLogger } from '@callctl/logging';
import { freePort, startRtpengine, type RtpengineFixture } from '@callctl/testing';
import { NgClient, RtpengineError, RtpengineTimeoutError } from './ng-client.js';
import { readEngineStatus } from './engine-status.js';

const log = createLogger({ service: 'test', level: 'silent' });

function sdp(port: number): string {
  return [
    'v=0',
    'o=- 1 1 IN IP4 127.0.0.1',
    's=-',
    'c=IN IP4 127.0.0.1',
    't=0 0',
    `m=audio ${port} RTP/AVP 0 101`,
    'a=rtpmap:0 PCMU/8000',
    'a=rtpmap:101 telephone-event/8000',
    'a=sendrecv',
    '',
  ].join('\r\n');
}

describe('rtpengine ng client against a real rtpengine', () => {
  let engine: RtpengineFixture;
  let ng: NgClient;

  beforeAll(async () => {
    engine = await startRtpengine();
    ng = new NgClient({ host: engine.host, port: engine.ngPort, timeoutMs: 2000, log });
  });
  afterAll(async () => {
    ng?.close();
    await engine?.stop();
  });

  it('pings', async () => {
    expect((await ng.command('ping')).result).toBe('pong');
  });

  it('drops a datagram that is no ng reply and keeps working (a stray RTP packet once killed the worker)', async () => {
    const localPort = await freePort();
    const client = new NgClient({ host: engine.host, port: engine.ngPort, timeoutMs: 2000, log, localPort });
    const stray = createSocket('udp4');
    try {
      expect((await client.command('ping')).result).toBe('pong');
      await new Promise<void>((resolve, reject) =>
        stray.send(Buffer.from([0x80, 0x00, 0x12, 0x34, 0xff, 0xfe]), localPort, '127.0.0.1', (err) =>
          err ? reject(err) : resolve(),
        ),
      );
      await new Promise((resolve) => setTimeout(resolve, 50));
      expect((await client.command('ping')).result).toBe('pong');
    } finally {
      stray.close();
      client.close();
    }
  });

  it('relays an offer/answer and deletes the session', async () => {
    const callId = `smoke-${Date.now()}`;
    const offer = await ng.command('offer', {
      'call-id': callId,
      'from-tag': 'a',
      sdp: sdp(30000),
      replace: ['origin'],
    });
    const offeredPort = Number(/m=audio (\d+)/.exec(offer.sdp ?? '')?.[1]);
    expect(offeredPort).toBeGreaterThanOrEqual(engine.mediaPorts.min);
    expect(offeredPort).toBeLessThanOrEqual(engine.mediaPorts.max);

    const answer = await ng.command('answer', {
      'call-id': callId,
      'from-tag': 'a',
      'to-tag': 'b',
      sdp: sdp(30002),
    });
    expect(answer.sdp).toMatch(/m=audio \d+ RTP\/AVP 0/);

    const status = await readEngineStatus(ng, () => performance.now());
    expect(status).toMatchObject({ reachable: true, activeSessions: 1 });

    await ng.command('delete', { 'call-id': callId, 'delete-delay': 0 });
    expect((await readEngineStatus(ng, () => performance.now())).activeSessions).toBe(0);
  });

  it('turns an rtpengine error into a typed error', async () => {
    await expect(ng.command('query', { 'call-id': 'no-such-call' })).rejects.toBeInstanceOf(RtpengineError);
  });

  it('times out when nothing answers', async () => {
    const deaf = new NgClient({ host: '127.0.0.1', port: 9, timeoutMs: 200, log });
    try {
      await expect(deaf.command('ping')).rejects.toBeInstanceOf(RtpengineTimeoutError);
    } finally {
      deaf.close();
    }
  });
});
