import type { Logger } from '@callctl/logging';

/**
 * What the engine core needs from a SIP transport. UDP, TCP, TLS and WebSocket implement it (a reliable transport frames by Content-Length and reuses connections).
 */
export type TransportProtocol = 'udp' | 'tcp' | 'tls' | 'ws' | 'wss';

export interface Peer {
  address: string;
  port: number;
  /**
   * The host name the peer was addressed by, when it was resolved from one: TLS sends it as SNI and checks
   * the server's certificate against it (an IP address alone fails a certificate naming the host).
   */
  servername?: string;
}

/** One message off the wire (a datagram, or one Content-Length-framed message of a stream). */
export interface Inbound {
  data: Buffer;
  remote: Peer;
  /** The transport it arrived on, for responses that must go back the same way (symmetric routing). */
  transport: SipTransport;
}

export interface SipTransport {
  readonly protocol: TransportProtocol;
  /** Retransmissions are the transaction layer's job only on unreliable transports. */
  readonly reliable: boolean;
  readonly local: Peer;
  /**
   * The address peers must use to reach this transport (Via sent-by, Contact, Record-Route) when it differs
   * from the bound one: a wildcard bind or a public IP in front of a private one. Undefined: `local`.
   */
  readonly advertised?: Peer;
  send(data: Buffer, to: Peer): Promise<void>;
  /** Connection-oriented transports: whether a connection to `peer` is open now. */
  isConnected?(peer: Peer): boolean;
  /**
   * Connection-oriented transports: keep the connection to `peer` open past the idle timeout until the
   * returned release is called (RFC 5626 §5: a registered device's flow lasts while its binding does);
   * undefined when there is no such connection.
   */
  pin?(peer: Peer): (() => void) | undefined;
  /** Connection-oriented transports (RFC 5923): requests to `sentBy` reuse the connection from `remote`. */
  alias?(sentBy: Peer, remote: Peer): void;
  close(): Promise<void>;
}

export type InboundHandler = (message: Inbound) => void;

/** Where a listener binds and where its messages go: what every transport's options start with. */
export interface ListenerOptions {
  host: string;
  /** 0 = any free port. */
  port: number;
  log: Logger;
  onMessage: InboundHandler;
  /** Host to announce instead of the bound address (see SipTransport.advertised). */
  advertisedHost?: string;
}
