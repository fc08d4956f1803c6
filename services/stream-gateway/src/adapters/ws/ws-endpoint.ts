// Connects to a customer endpoint with the `ws` package: TLS verified against the system's CAs plus
// STREAM_CA_FILE's, the Authorization header, one deadline over TCP, TLS and the upgrade. Why a connection
// did not open is said plainly (the refused upgrade's HTTP status, the TLS error, ECONNREFUSED, the
// timeout): it becomes StreamOpenFailed's reason. Outgoing messages are never compressed (base64 audio
// barely compresses and deflate costs CPU per frame).
import { readFileSync } from 'node:fs';
import { rootCertificates } from 'node:tls';
import WebSocket from 'ws';
import {
  EndpointConnectError,
  type ConnectEndpoint,
  type EndpointEvents,
  type EndpointSocket,
  type EndpointTarget,
} from '../../app/ports.js';

export interface WsEndpointOptions {
  connectTimeoutMs: number;
  /** PEM file of extra CAs (STREAM_CA_FILE). */
  caFile?: string | undefined;
}

/** Close code `ws` reports when the connection ended without a close frame. */
const ABNORMAL_CLOSURE = 1006;
/** How long a closing socket's unsent bytes may take to reach the kernel once the close echo is late. */
const FLUSH_WAIT_MS = 3000;
const FLUSH_POLL_MS = 20;

export function wsEndpoint(options: WsEndpointOptions): ConnectEndpoint {
  const ca = options.caFile ? [...rootCertificates, readFileSync(options.caFile, 'utf8')] : undefined;
  return (target, events) => connect(target, events, options.connectTimeoutMs, ca);
}

function connect(
  target: EndpointTarget,
  events: EndpointEvents,
  timeoutMs: number,
  ca: string[] | undefined,
): Promise<EndpointSocket> {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(target.url, {
      handshakeTimeout: timeoutMs,
      perMessageDeflate: false,
      followRedirects: false,
      rejectUnauthorized: true,
      ...(ca ? { ca } : {}),
      headers: target.authorization ? { Authorization: target.authorization } : {},
    });
    let opened = false;
    // The handshake timeout covers the upgrade; this one covers a TCP connect that never completes too.
    const timer = setTimeout(() => fail(`timeout: no connection within ${timeoutMs} ms`), timeoutMs);
    const fail = (reason: string) => {
      if (opened) return;
      opened = true;
      clearTimeout(timer);
      ws.terminate();
      reject(new EndpointConnectError(reason));
    };
    ws.once('unexpected-response', (_request, response) => {
      fail(
        `the endpoint refused the upgrade: HTTP ${response.statusCode} ${response.statusMessage ?? ''}`.trim(),
      );
    });
    ws.once('error', (error: NodeJS.ErrnoException) => fail(describe(error)));
    ws.once('open', () => {
      if (opened) return;
      opened = true;
      clearTimeout(timer);
      ws.on('error', () => undefined); // a later error is followed by 'close', which reports it
      ws.on('message', (data, isBinary) => {
        if (!isBinary) events.onMessage(data.toString());
      });
      ws.once('close', (code, reason) => {
        const detail = `code ${code}${reason.length > 0 ? ` ${reason.toString()}` : ''}`;
        events.onClose(code !== ABNORMAL_CLOSURE, detail);
      });
      resolve(socketOf(ws));
    });
  });
}

function describe(error: NodeJS.ErrnoException): string {
  if (error.code === 'ECONNREFUSED') return `ECONNREFUSED: ${error.message}`;
  if (error.code && /CERT|SSL|TLS|SELF_SIGNED|UNABLE_TO/.test(error.code))
    return `TLS: ${error.code}: ${error.message}`;
  return error.code ? `${error.code}: ${error.message}` : error.message;
}

function socketOf(ws: WebSocket): EndpointSocket {
  return {
    get bufferedAmount() {
      return ws.bufferedAmount;
    },
    send: (text) => ws.send(text),
    close: (code, reason, waitMs) =>
      new Promise<void>((resolve) => {
        if (ws.readyState === WebSocket.CLOSED) return resolve();
        let flushTimer: NodeJS.Timeout | undefined;
        const done = () => {
          clearTimeout(echoTimer);
          clearInterval(flushTimer);
          resolve();
        };
        // A slow peer that has not echoed the close in time is cut off, but only once what was written
        // to it (its last frames and our close frame) has left this process for the kernel, which still
        // delivers it after the socket is released: terminating earlier would throw away the close frame
        // and the peer would see 1006 instead of 1000. The flush is bounded too, for a peer that never reads.
        const echoTimer = setTimeout(() => {
          const flushDeadline = Date.now() + FLUSH_WAIT_MS;
          flushTimer = setInterval(() => {
            if (ws.bufferedAmount > 0 && Date.now() < flushDeadline) return;
            ws.terminate();
            done();
          }, FLUSH_POLL_MS);
        }, waitMs);
        ws.once('close', done);
        ws.close(code, reason);
      }),
    terminate: () => ws.terminate(),
  };
}
