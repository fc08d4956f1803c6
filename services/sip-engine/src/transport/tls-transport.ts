// SIP over TLS (RFC 3261 §26.2, RFC 5630): the stream transport of TCP with a TLS layer. The certificate,
// key, chain and DH parameters come from files under drachtio-server's names (config.ts); the engine also
// presents its certificate when it dials out, so a peer verifying clients accepts it (mutual TLS trunks).
import { readFileSync } from 'node:fs';
import type { Socket } from 'node:net';
import {
  checkServerIdentity,
  connect,
  createServer,
  rootCertificates,
  type PeerCertificate,
  type SecureContextOptions,
  type Server,
  type TLSSocket,
} from 'node:tls';
import type { Logger } from '@callctl/logging';
import { DEFAULT_STREAM_MESSAGE_TIMEOUT_MS, StreamConnections } from './stream-connections.js';
import type { TcpTransportOptions } from './tcp-transport.js';
import { listenOn, StreamTransport } from './stream-transport.js';
import type { Peer } from './transport.js';

/** The TLS settings, under drachtio-server's names where it has them (config.ts). */
export interface TlsCredentials {
  certFile: string;
  keyFile: string;
  chainFile?: string;
  dhParamFile?: string;
  minVersion: 'TLSv1.2' | 'TLSv1.3';
  /** Highest TLS version, for peers that cannot take TLS 1.3's post-handshake messages. @default TLSv1.3 */
  maxVersion?: 'TLSv1.2' | 'TLSv1.3';
  ciphers?: string;
  /** Extra trusted CAs (PEM file): client certificates, and servers the engine connects to. */
  caFile?: string;
  verifyClientCert: boolean;
  verifyServerCert: boolean;
}

export interface TlsTransportOptions extends TcpTransportOptions {
  credentials: TlsCredentials;
  /** A handshake must finish within this from the connection's first byte. @default messageTimeoutMs */
  handshakeTimeoutMs?: number;
}

/** A TLS setting that cannot be used (a file missing or unreadable): the engine refuses to start. */
export class TlsConfigError extends Error {
  readonly code = 'SIP_TLS_CONFIG';
  override readonly name = 'TlsConfigError';
}

export class TlsTransport extends StreamTransport<TLSSocket> {
  readonly protocol = 'tls';
  protected readonly connections: StreamConnections<TLSSocket>;

  private constructor(
    server: Server,
    local: Peer,
    options: TlsTransportOptions,
    context: SecureContextOptions,
    handshakeTimeoutMs: number,
  ) {
    super(server, local, options.advertisedHost);
    const { credentials, log } = options;
    this.connections = new StreamConnections<TLSSocket>({
      ...options,
      label: 'tls',
      transport: this,
      dial: (to) => dialTls(to, context, credentials.verifyServerCert, handshakeTimeoutMs, log),
    });
  }

  static async listen(options: TlsTransportOptions): Promise<TlsTransport> {
    const { credentials, log } = options;
    const context = secureContext(credentials);
    const handshakeTimeout =
      options.handshakeTimeoutMs ?? options.messageTimeoutMs ?? DEFAULT_STREAM_MESSAGE_TIMEOUT_MS;
    const server = createServer({
      ...context,
      // The trusted CAs serve only to verify clients: a listener that does not keeps none, since OpenSSL
      // searches the store on every handshake (about a third fewer handshakes a second with the public roots).
      ca: credentials.verifyClientCert ? context.ca : undefined,
      handshakeTimeout,
      requestCert: credentials.verifyClientCert,
      // Checked in secureConnection instead (clientCertificateRefusal), where the reason can be logged:
      // Node's own rejection closes the socket without saying why.
      rejectUnauthorized: false,
    });
    const transport = new TlsTransport(
      server,
      await listenOn(server, options.host, options.port, 'tls'),
      options,
      context,
      handshakeTimeout,
    );
    // Limits apply to the bare TCP connection, before the handshake costs anything.
    server.on('connection', (socket: Socket) => transport.connections.admit(socket));
    server.on('secureConnection', (socket: TLSSocket) => {
      const refusal = credentials.verifyClientCert ? clientCertificateRefusal(socket) : undefined;
      if (refusal !== undefined) {
        log.info({ remote: remoteOf(socket), reason: refusal }, 'tls client certificate refused');
        socket.destroy();
        return;
      }
      transport.connections.adopt(socket);
    });
    // Garbage instead of a ClientHello, an untrusted or expired client certificate, a handshake too slow:
    // the peer's fault, one info line naming it; the listener serves the others.
    server.on('tlsClientError', (err, socket) => {
      log.info(
        { remote: remoteOf(socket), reason: err.message, code: (err as { code?: string }).code },
        'tls handshake failed, connection closed',
      );
      socket.destroy();
    });
    return transport;
  }
}

/** The certificate, key, chain, DH parameters, trusted CAs and protocol floor, read once at start. */
export function secureContext(credentials: TlsCredentials): SecureContextOptions {
  const read = (what: string, file: string) => {
    try {
      return readFileSync(file, 'utf8');
    } catch (err) {
      throw new TlsConfigError(`cannot read the TLS ${what} ${file}: ${(err as Error).message}`);
    }
  };
  const chain = credentials.chainFile ? `\n${read('chain', credentials.chainFile)}` : '';
  return {
    // The chain follows the leaf in one PEM bundle: what Node sends as the certificate chain.
    cert: read('certificate', credentials.certFile) + chain,
    key: read('key', credentials.keyFile),
    dhparam: credentials.dhParamFile ? read('DH parameters', credentials.dhParamFile) : undefined,
    minVersion: credentials.minVersion,
    maxVersion: credentials.maxVersion,
    ciphers: credentials.ciphers || undefined,
    // A configured CA is trusted beside the public roots (Node's `ca` would replace them).
    ca: credentials.caFile ? [...rootCertificates, read('CA', credentials.caFile)] : undefined,
  };
}

/**
 * Why a client's certificate is refused, if it is: none, an untrusted chain or one out of its validity
 * (OpenSSL's code, e.g. CERT_HAS_EXPIRED), or a name other than the address the client connects from. That
 * address is the one thing about the peer the engine knows without trusting the peer, so a certificate
 * issued to someone else (a valid chain, the wrong name) is refused.
 */
function clientCertificateRefusal(socket: TLSSocket): string | undefined {
  if (!socket.authorized) return String(socket.authorizationError ?? 'no client certificate');
  const certificate: PeerCertificate = socket.getPeerCertificate();
  const address = socket.remoteAddress ?? '';
  const error = checkServerIdentity(address.replace(/^::ffff:/, ''), certificate);
  return error ? error.message : undefined;
}

function dialTls(
  to: Peer,
  context: SecureContextOptions,
  verify: boolean,
  timeoutMs: number,
  log: Logger,
): Promise<TLSSocket> {
  return new Promise<TLSSocket>((resolve, reject) => {
    const socket = connect({
      ...context,
      host: to.address,
      port: to.port,
      // SNI and the certificate's name check use the host name the target was addressed by; a target
      // given as an IP address is checked against the certificate's IP names.
      servername: to.servername,
      // Server verification: the chain against the trusted CAs, and that name.
      rejectUnauthorized: verify,
    });
    const timer = setTimeout(() => {
      socket.destroy(
        new Error(`tls handshake with ${to.address}:${to.port} timed out after ${timeoutMs} ms`),
      );
    }, timeoutMs);
    socket.once('error', (err) => {
      clearTimeout(timer);
      log.info({ remote: `${to.address}:${to.port}`, reason: err.message }, 'tls connection failed');
      reject(err);
    });
    socket.once('secureConnect', () => {
      clearTimeout(timer);
      socket.removeAllListeners('error');
      resolve(socket);
    });
  });
}

function remoteOf(socket: Socket): string {
  return `${socket.remoteAddress ?? ''}:${socket.remotePort ?? 0}`;
}
