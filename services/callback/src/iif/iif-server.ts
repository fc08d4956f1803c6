// STUB (contract): replaced by the IIF implementation. The UDP inner interface (seed 004): REQUEST in, ACK
// out, RESPONSE acknowledgements in; peer allowlist; retransmission answers.
import type { Logger } from '@callctl/logging';
import type { Callbacks } from '../app/ports.js';
import type { ResponseSender } from './response-sender.js';

export interface IifServerOptions {
  host: string;
  port: number;
  /** CALLBACK_IIF_PEERS, parsed by iif/peers.ts (a bad list throws a ConfigError naming the variable). */
  peers: string;
  maxDatagramBytes: number;
  retransmissionWindowMs: number;
  callbacks: Callbacks;
  /** Gets the `ACK: id=..;code=ok` datagrams that acknowledge RESPONSEs. */
  responses: ResponseSender;
  log: Logger;
}

export interface IifCounters {
  requests: number;
  failed: number;
  droppedUnknownPeer: number;
  droppedMalformed: number;
  retransmissions: number;
}

export interface IifServer {
  /** The bound address (port 0 picks a free one). */
  readonly address: { host: string; port: number };
  counters(): IifCounters;
  close(): Promise<void>;
}

export function startIifServer(options: IifServerOptions): Promise<IifServer> {
  void options;
  return Promise.reject(new Error('IIF server not implemented yet'));
}
