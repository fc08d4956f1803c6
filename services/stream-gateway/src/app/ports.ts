// What the gateway's app needs from the outside world; adapters/ implement it (the `ws` package, the
// media-worker's forks, NATS, UDP sockets), the tests use the same adapters against real peers.
import type { facts } from '@callctl/proto';

/** An open WebSocket to a customer endpoint. */
export interface EndpointSocket {
  /** Bytes handed to the socket and not yet written to the network (ws.bufferedAmount). */
  readonly bufferedAmount: number;
  send(text: string): void;
  /** Closes with `code` (1000) and waits for the endpoint's close (at most `waitMs`), then cuts the socket. */
  close(code: number, reason: string, waitMs: number): Promise<void>;
  /** Cuts the socket without a close handshake. */
  terminate(): void;
}

export interface EndpointEvents {
  onMessage(text: string): void;
  /**
   * The socket closed. `byEndpoint`: the endpoint sent a close frame (it ended the stream); otherwise
   * the connection broke (no close frame: reset, timeout), which a reconnection may mend.
   */
  onClose(byEndpoint: boolean, detail: string): void;
}

export interface EndpointTarget {
  url: URL;
  /** Authorization header value; empty: none. */
  authorization: string;
}

/** Thrown by ConnectEndpoint: why the connection did not open (HTTP status, TLS error, refused, timeout). */
export class EndpointConnectError extends Error {
  override readonly name = 'EndpointConnectError';
}

export type ConnectEndpoint = (target: EndpointTarget, events: EndpointEvents) => Promise<EndpointSocket>;

/** Takes a fact for publishing (in order per stream, numbered, retried; never waits). */
export interface StreamFactSink {
  report(fact: facts.StreamFact): void;
}
