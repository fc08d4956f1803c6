import { spawnSync } from 'node:child_process';
import { createSocket } from 'node:dgram';
import { createLogger } from '@callctl/logging';
import { waitFor } from '@callctl/testing';
import type { Inbound } from './transport.js';
import { UdpTransport, type UdpTransportOptions } from './udp-transport.js';

const log = createLogger({ service: 'sip-engine-test', level: 'silent' });

/** A loopback listener on a free port that keeps what it receives. */
async function listenCollecting(extra: Partial<UdpTransportOptions> = {}) {
  const received: Inbound[] = [];
  const transport = await UdpTransport.listen({
    host: '127.0.0.1',
    port: 0,
    log,
    onMessage: (m) => received.push(m),
    ...extra,
  });
  return { transport, received };
}

describe('UDP transport', () => {
  it('delivers datagrams with their source and replies to that source', async () => {
    const { transport, received } = await listenCollecting();
    const peer = createSocket('udp4');
    await new Promise<void>((r) => peer.bind(0, '127.0.0.1', () => r()));
    const replies: Buffer[] = [];
    peer.on('message', (m) => replies.push(m));
    try {
      peer.send(Buffer.from('OPTIONS sip:x SIP/2.0\r\n\r\n'), transport.local.port, '127.0.0.1');
      const [inbound] = await waitFor('datagram', () => (received.length > 0 ? received : undefined));
      expect(inbound!.remote).toEqual({ address: '127.0.0.1', port: peer.address().port });
      await transport.send(Buffer.from('SIP/2.0 200 OK\r\n\r\n'), inbound!.remote);
      await waitFor('reply', () => replies.length > 0);
      expect(replies[0]!.toString()).toBe('SIP/2.0 200 OK\r\n\r\n');
    } finally {
      peer.close();
      await transport.close();
    }
  });

  it('drops CRLF keep-alives', async () => {
    const { transport, received } = await listenCollecting();
    const peer = createSocket('udp4');
    try {
      peer.send(Buffer.from('\r\n\r\n'), transport.local.port, '127.0.0.1');
      peer.send(Buffer.from('X'), transport.local.port, '127.0.0.1');
      await waitFor('marker datagram', () => received.length > 0);
      expect(received.map((m) => m.data.toString())).toEqual(['X']);
    } finally {
      peer.close();
      await transport.close();
    }
  });

  it('keeps a burst that arrives while the event loop is busy (receive buffer sized for it)', async () => {
    const { transport, received } = await listenCollecting({ receiveBufferBytes: 4 * 1024 * 1024 });
    const count = 1500;
    try {
      // Another process sends the burst; this one cannot read meanwhile (spawnSync blocks the loop), so
      // every datagram must wait in the kernel buffer. The kernel default (~208 KB) keeps a few hundred.
      const sender = `const s=require('node:dgram').createSocket('udp4');const b=Buffer.alloc(800,65);let n=0;
        const go=()=>{while(n<${count}){s.send(b,${transport.local.port},'127.0.0.1');n++;if(n%100===0)return setImmediate(go);}
        setTimeout(()=>s.close(),200);};go();`;
      const result = spawnSync(process.execPath, ['-e', sender], { timeout: 10_000 });
      expect(result.status).toBe(0);
      await waitFor('the whole burst', () => received.length >= count, 3000).catch(() => undefined);
      // Needs net.core.rmem_max >= 4 MiB (the kernel caps SO_RCVBUF there; Debian images here have it).
      expect(received.length).toBe(count);
    } finally {
      await transport.close();
    }
  });
});
