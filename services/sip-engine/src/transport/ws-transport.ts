// CONTRACT STUB (issue 20): SIP over WebSocket (RFC 7118), plain and secure, built by the WebSocket work.
// The shape is fixed here so the engine's wiring compiles; the implementation replaces this file.
import type { Logger } from '@callctl/logging';
import type { InboundHandler, Peer, SipTransport } from './transport.js';
import type { TcpTransportOptions } from './tcp-transport.js';
import type { TlsCredentials } from './tls-transport.js';

export interface WsTransportOptions extends Pick<
  TcpTransportOptions,
  'idleTimeoutMs' | 'maxConnectionsPerAddress' | 'refuse' | 'onMalformed'
> {
  host: string;
  port: number;
  log: Logger;
  onMessage: InboundHandler;
  advertisedHost?: string;
  /** WSS: the listener's certificate; undefined: plain WS. */
  tls?: TlsCredentials;
  /** Largest SIP message in one frame; a larger frame closes the connection. @default 65536 */
  maxMessageBytes?: number;
}

export class WsTransport implements SipTransport {
  readonly protocol: 'ws' | 'wss' = 'ws';
  readonly reliable = true;
  readonly local: Peer = { address: '', port: 0 };

  static listen(_options: WsTransportOptions): Promise<WsTransport> {
    return Promise.reject(new Error('SIP over WebSocket is not implemented yet'));
  }

  send(_data: Buffer, _to: Peer): Promise<void> {
    return Promise.reject(new Error('not implemented'));
  }

  close(): Promise<void> {
    return Promise.resolve();
  }
}
