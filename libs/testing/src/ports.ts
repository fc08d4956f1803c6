import { createServer } from 'node:net';
import { createSocket } from 'node:dgram';
import { readFileSync } from 'node:fs';

/**
 * A port that is free for both TCP and UDP on 127.0.0.1 right now. For peers that cannot be told to use
 * port 0 (rtpengine's ng port, sipp's -p); another process could still take it, so bind soon. Drawn from
 * 10000-19999, below the kernel's ephemeral range (32768 up) and rtpengine's media blocks (20000 up): a port
 * the kernel handed out for port 0 could be taken by any socket a parallel test binds to port 0 before the
 * service binds it (a sip-engine and a media-worker each lost theirs so, in CI runs).
 */
export async function freePort(): Promise<number> {
  for (let attempt = 0; attempt < 50; attempt++) {
    const port = 10000 + Math.floor(Math.random() * 10000);
    if ((await tcpFree(port)) && (await udpFree(port))) return port;
  }
  throw new Error('no free port found in 10000-19999 on 127.0.0.1');
}

/** True if a TCP server can listen on 127.0.0.1:port right now. */
function tcpFree(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const server = createServer();
    server.once('error', () => resolve(false));
    server.listen(port, '127.0.0.1', () => server.close(() => resolve(true)));
  });
}

/** True if nothing is bound to UDP 127.0.0.1:port right now. */
export function udpFree(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = createSocket('udp4');
    socket.once('error', () => resolve(false));
    socket.bind(port, '127.0.0.1', () => socket.close(() => resolve(true)));
  });
}

/**
 * A block of `size` consecutive ports (aligned to an even start) for a media relay's RTP range. The block is
 * drawn at random from 20000-39999 so that parallel test workers rarely overlap; rtpengine skips ports that
 * are taken, so an overlap costs nothing but a retry.
 */
export function freePortBlock(size: number): { min: number; max: number } {
  const low = 20000;
  const high = 39999 - size;
  const start = low + 2 * Math.floor((Math.random() * (high - low)) / 2);
  return { min: start, max: start + size - 1 };
}

/**
 * True when some process has a UDP socket bound, or a TCP socket listening, on `port` (any address), read
 * from /proc/net: how a fixture tells that a peer it cannot ask (sipp, kamailio) is ready.
 */
export function isBound(protocol: 'udp' | 'tcp', port: number): boolean {
  const hex = `:${port.toString(16).toUpperCase().padStart(4, '0')}`;
  return ['', '6'].some((family) => {
    let table: string;
    try {
      table = readFileSync(`/proc/net/${protocol}${family}`, 'utf8');
    } catch {
      return false;
    }
    return table.split('\n').some((line) => {
      const fields = line.trim().split(/\s+/);
      // TCP state 0A = LISTEN; UDP sockets have no listen state.
      return fields[1]?.endsWith(hex) && (protocol === 'udp' || fields[3] === '0A');
    });
  });
}
