// CONTRACT STUB (issue 20): SIP over TLS, built by the TLS work. The shape is fixed here so the engine's
// wiring compiles; the implementation replaces this file.
import type { Logger } from '@callctl/logging';
import type { InboundHandler, Peer, SipTransport } from './transport.js';
import type { TcpTransportOptions } from './tcp-transport.js';

/** The TLS settings, under drachtio-server's names where it has them (config.ts). */
export interface TlsCredentials {
  certFile: string;
  keyFile: string;
  chainFile?: string;
  dhParamFile?: string;
  minVersion: 'TLSv1.2' | 'TLSv1.3';
  ciphers?: string;
  /** Extra trusted CAs (PEM file): client certificates, and servers the engine connects to. */
  caFile?: string;
  verifyClientCert: boolean;
  verifyServerCert: boolean;
}

export interface TlsTransportOptions extends Pick<
  TcpTransportOptions,
  'messageTimeoutMs' | 'idleTimeoutMs' | 'maxConnectionsPerAddress' | 'refuse' | 'onMalformed'
> {
  host: string;
  port: number;
  log: Logger;
  onMessage: InboundHandler;
  advertisedHost?: string;
  credentials: TlsCredentials;
}

export class TlsTransport implements SipTransport {
  readonly protocol = 'tls';
  readonly reliable = true;
  readonly local: Peer = { address: '', port: 0 };

  static listen(_options: TlsTransportOptions): Promise<TlsTransport> {
    return Promise.reject(new Error('SIP over TLS is not implemented yet'));
  }

  send(_data: Buffer, _to: Peer): Promise<void> {
    return Promise.reject(new Error('not implemented'));
  }

  close(): Promise<void> {
    return Promise.resolve();
  }
}
