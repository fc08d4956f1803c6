import { randomBytes } from 'node:crypto';
import { createSocket, type Socket } from 'node:dgram';

/** What a test needs from a SIP response off the wire; read with plain regexes, not the engine's parser. */
export interface WireResponse {
  status: number;
  reason: string;
  raw: string;
  header(name: string): string | undefined;
}

export function readResponse(data: Buffer): WireResponse | undefined {
  const raw = data.toString('latin1');
  const start = /^SIP\/2\.0 (\d{3}) ([^\r\n]*)\r?\n/.exec(raw);
  if (!start) return undefined;
  const head = raw.split(/\r?\n\r?\n/, 1)[0] ?? '';
  return {
    status: Number(start[1]),
    reason: start[2] ?? '',
    raw,
    header: (name) => new RegExp(`^${name}[ \\t]*:[ \\t]*(.*)$`, 'im').exec(head)?.[1]?.trim(),
  };
}

/**
 * A bare UDP socket on 127.0.0.1 that sends raw datagrams to the engine and collects whatever comes back:
 * the far end for torture and fuzz traffic, where a real UA would refuse to send the bytes.
 */
export class UdpPeer {
  private readonly received: Buffer[] = [];
  private waiters: Array<() => void> = [];

  private constructor(
    private readonly socket: Socket,
    readonly port: number,
  ) {
    socket.on('message', (data) => {
      this.received.push(data);
      const waiters = this.waiters;
      this.waiters = [];
      for (const wake of waiters) wake();
    });
  }

  static async open(): Promise<UdpPeer> {
    const socket = createSocket('udp4');
    await new Promise<void>((resolve, reject) => {
      socket.once('error', reject);
      socket.bind(0, '127.0.0.1', () => resolve());
    });
    return new UdpPeer(socket, socket.address().port);
  }

  send(data: Buffer, port: number): Promise<void> {
    return new Promise((resolve, reject) =>
      this.socket.send(data, port, '127.0.0.1', (err) => (err ? reject(err) : resolve())),
    );
  }

  /** Every datagram received so far, as responses (non-responses are skipped). */
  responses(): WireResponse[] {
    return this.received.map(readResponse).filter((r): r is WireResponse => r !== undefined);
  }

  /** Waits until `done` holds for what has been received, or `timeoutMs` passes; returns what came. */
  async collect(done: (responses: WireResponse[]) => boolean, timeoutMs: number): Promise<WireResponse[]> {
    const deadline = Date.now() + timeoutMs;
    while (!done(this.responses())) {
      const left = deadline - Date.now();
      if (left <= 0) break;
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, left);
        this.waiters.push(() => {
          clearTimeout(timer);
          resolve();
        });
      });
    }
    return this.responses();
  }

  /** Sends an OPTIONS from this socket and waits for its final response. */
  async options(port: number, timeoutMs = 2000): Promise<WireResponse | undefined> {
    const callId = `options-${randomBytes(6).toString('hex')}`;
    const request =
      `OPTIONS sip:ping@127.0.0.1:${port} SIP/2.0\r\n` +
      `Via: SIP/2.0/UDP 127.0.0.1:${this.port};rport;branch=z9hG4bK${randomBytes(6).toString('hex')}\r\n` +
      'Max-Forwards: 70\r\n' +
      `From: <sip:probe@127.0.0.1>;tag=${randomBytes(4).toString('hex')}\r\n` +
      `To: <sip:ping@127.0.0.1:${port}>\r\n` +
      `Call-ID: ${callId}\r\n` +
      'CSeq: 1 OPTIONS\r\n' +
      'Content-Length: 0\r\n\r\n';
    await this.send(Buffer.from(request), port);
    const final = (r: WireResponse) => r.status >= 200 && r.header('Call-ID') === callId;
    return (await this.collect((all) => all.some(final), timeoutMs)).find(final);
  }

  close(): Promise<void> {
    return new Promise((resolve) => this.socket.close(() => resolve()));
  }
}
