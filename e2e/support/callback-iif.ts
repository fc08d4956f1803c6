// An IIF peer (seed 004's application server) for end-to-end tests: one UDP socket on loopback the test owns,
// which sends REQUESTs (or any bytes) to the callback service, keeps every datagram it receives with its
// arrival time, and answers each RESPONSE with `ACK: id=..;code=ok` unless told not to.
import { createSocket, type Socket } from 'node:dgram';
import { waitFor } from '@callctl/testing';

export interface IifDatagram {
  text: string;
  /** Date.now() at arrival. */
  at: number;
  /** The method and parameters, when the text is `METHOD: name=value;...`. */
  method?: string;
  params: Record<string, string>;
}

export interface IifPeer {
  port: number;
  received: IifDatagram[];
  /** Sends one datagram (text or raw bytes) to the callback service's IIF. */
  send(message: string | Buffer): Promise<void>;
  /** `REQUEST: id=..;user1=..;...;` built from the parameters in the order given. */
  request(params: Record<string, string | number>): Promise<void>;
  /** The first datagram received with this method and id (waits up to timeoutMs). */
  next(method: string, id: string, timeoutMs?: number): Promise<IifDatagram>;
  /** Every datagram received with this method and id so far. */
  all(method: string, id: string): IifDatagram[];
  /** Whether RESPONSEs are acknowledged (`ACK: id=..;code=ok`) as they arrive. @default true */
  acknowledgeResponses: boolean;
  close(): Promise<void>;
}

/** `METHOD: a=1;b=2;` into its method and parameters (a test's view, lenient: the service is strict). */
export function parseIif(text: string): Pick<IifDatagram, 'method' | 'params'> {
  const match = /^([A-Za-z]+):\s*(.*?)[\r\n]*$/s.exec(text);
  if (!match) return { params: {} };
  const params: Record<string, string> = {};
  for (const pair of match[2]!.split(';')) {
    const at = pair.indexOf('=');
    if (at > 0) params[pair.slice(0, at).trim()] = pair.slice(at + 1).trim();
  }
  return { method: match[1], params };
}

export const iifRequest = (params: Record<string, string | number>): string =>
  `REQUEST: ${Object.entries(params)
    .map(([name, value]) => `${name}=${value}`)
    .join(';')};`;

export async function openIifPeer(iifPort: number, host = '127.0.0.1'): Promise<IifPeer> {
  const socket: Socket = createSocket('udp4');
  await new Promise<void>((resolve) => socket.bind(0, host, () => resolve()));
  const received: IifDatagram[] = [];
  const send = (message: string | Buffer) =>
    new Promise<void>((resolve, reject) =>
      socket.send(
        typeof message === 'string' ? Buffer.from(message) : message,
        iifPort,
        '127.0.0.1',
        (error) => (error ? reject(error) : resolve()),
      ),
    );
  const peer: IifPeer = {
    port: socket.address().port,
    received,
    send,
    request: (params) => send(iifRequest(params)),
    next: (method, id, timeoutMs = 20_000) =>
      waitFor(
        `IIF ${method} id=${id}`,
        () => received.find((d) => d.method === method && d.params.id === id),
        timeoutMs,
        10,
      ).catch((error: unknown) => {
        throw new Error(
          `${String(error)}; received: ${received.map((d) => JSON.stringify(d.text)).join(', ')}`,
        );
      }),
    all: (method, id) => received.filter((d) => d.method === method && d.params.id === id),
    acknowledgeResponses: true,
    close: () => new Promise<void>((resolve) => socket.close(() => resolve())),
  };
  socket.on('message', (data) => {
    const text = data.toString('utf8');
    const datagram: IifDatagram = { text, at: Date.now(), ...parseIif(text) };
    received.push(datagram);
    if (datagram.method === 'RESPONSE' && peer.acknowledgeResponses && datagram.params.id !== undefined) {
      void send(`ACK: id=${datagram.params.id};code=ok`).catch(() => undefined);
    }
  });
  return peer;
}
