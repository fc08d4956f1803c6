// A customer endpoint in the test: a `ws` server on loopback (plain or TLS with a test certificate) that
// keeps every message of every connection, the upgrade's headers, and can refuse upgrades, stall (stop
// reading: its socket paused), break a connection (no close frame) or close it itself.
import { createServer as createHttpsServer, type Server as HttpsServer } from 'node:https';
import { readFileSync } from 'node:fs';
import type { IncomingMessage } from 'node:http';
import type { AddressInfo } from 'node:net';
import { WebSocketServer, type WebSocket } from 'ws';
import { decodeMulaw, waitFor } from '@callctl/testing';

export interface StreamMessage {
  event: string;
  sequenceNumber: number;
  streamId: string;
  [key: string]: unknown;
}

export interface MediaMessage extends StreamMessage {
  media: { channel: string; chunk: number; timestamp: number; payload: string };
}

/** When each message arrived (Date.now()). */
export const receivedAt = new WeakMap<StreamMessage, number>();

export interface ReceivedConnection {
  socket: WebSocket;
  request: IncomingMessage;
  messages: StreamMessage[];
  closed: { code: number; reason: string } | undefined;
}

export interface WsReceiver {
  url: string;
  port: number;
  connections: ReceivedConnection[];
  /** Every message of every connection, in arrival order. */
  all(): StreamMessage[];
  /** The upgrade answers this HTTP status instead (0: accept). */
  refuseWith: number;
  /** New connections are not read at all (ws pause()) until resume(): a stalled endpoint. */
  stallNew: boolean;
  waitForMessage(predicate: (m: StreamMessage) => boolean, timeoutMs?: number): Promise<StreamMessage>;
  close(): Promise<void>;
}

export async function startWsReceiver(tls?: { certFile: string; keyFile: string }): Promise<WsReceiver> {
  const https: HttpsServer | undefined = tls
    ? createHttpsServer({ cert: readFileSync(tls.certFile), key: readFileSync(tls.keyFile) })
    : undefined;
  const receiver: WsReceiver = {
    url: '',
    port: 0,
    connections: [],
    refuseWith: 0,
    stallNew: false,
    all: () => receiver.connections.flatMap((c) => c.messages),
    waitForMessage: async (predicate, timeoutMs = 10_000) => {
      let found: StreamMessage | undefined;
      await waitFor(
        'a stream message',
        () => {
          found = receiver.all().find(predicate);
          return found !== undefined;
        },
        timeoutMs,
        10,
      );
      return found!;
    },
    close: async () => {
      for (const c of receiver.connections) c.socket.terminate();
      await new Promise<void>((resolve) => server.close(() => resolve()));
      if (https) await new Promise<void>((resolve) => https.close(() => resolve()));
    },
  };
  const server = new WebSocketServer({
    ...(https ? { server: https } : { host: '127.0.0.1', port: 0 }),
    verifyClient: (_info, done) => (receiver.refuseWith ? done(false, receiver.refuseWith) : done(true)),
  });
  server.on('connection', (socket, request) => {
    const connection: ReceivedConnection = { socket, request, messages: [], closed: undefined };
    receiver.connections.push(connection);
    if (receiver.stallNew) socket.pause();
    socket.on('message', (data) => {
      const message = JSON.parse(data.toString()) as StreamMessage;
      receivedAt.set(message, Date.now());
      connection.messages.push(message);
    });
    socket.on('close', (code, reason) => (connection.closed = { code, reason: reason.toString() }));
    socket.on('error', () => undefined);
  });
  if (https) await new Promise<void>((resolve) => https.listen(0, '127.0.0.1', resolve));
  else await new Promise<void>((resolve) => server.once('listening', resolve));
  receiver.port = ((https ?? server).address() as AddressInfo).port;
  receiver.url = `${tls ? 'wss' : 'ws'}://${tls ? 'localhost' : '127.0.0.1'}:${receiver.port}/stream`;
  return receiver;
}

export const mediaOf = (messages: readonly StreamMessage[], channel: string): MediaMessage[] =>
  messages.filter(
    (m): m is MediaMessage => m.event === 'media' && (m as MediaMessage).media.channel === channel,
  );

/** The samples of a channel's `media` payloads (PCMU decoded, or L16 little-endian). */
export function samplesOf(frames: readonly MediaMessage[], encoding: 'PCMU' | 'L16'): number[] {
  const samples: number[] = [];
  for (const frame of frames) {
    const bytes = Buffer.from(frame.media.payload, 'base64');
    if (encoding === 'PCMU') for (const b of bytes) samples.push(decodeMulaw(b));
    else for (let i = 0; i + 1 < bytes.length; i += 2) samples.push(bytes.readInt16LE(i));
  }
  return samples;
}
