// STUB (contract): replaced by the IIF implementation. Sends `RESPONSE: id=..;real_duration=..;` to the
// requester, resends until its `ACK: id=..;code=ok` or the bound, then settles through Callbacks.
import type { Logger } from '@callctl/logging';
import type { Callbacks, IifResponses, OwedResponse } from '../app/ports.js';

export interface ResponseSenderOptions {
  /** First resend after this long, doubling. */
  retryMs: number;
  /** Datagrams in all before giving up. */
  attempts: number;
  /** Records the outcome (CallbackResponseSettled); set after construction (the core is built later). */
  settle: Callbacks['settleResponse'];
  log: Logger;
}

export interface ResponseCounters {
  sent: number;
  acknowledged: number;
  abandoned: number;
}

export interface ResponseSender extends IifResponses {
  /** Sends datagrams through the IIF server's socket (set by startIifServer). */
  attach(send: (datagram: string, address: { host: string; port: number }) => void): void;
  /** An `ACK: id=<iifId>;code=ok` from `peerAddress` (host:port) settles that RESPONSE; false if none owed. */
  acknowledge(iifId: string, peerAddress: string): boolean;
  counters(): ResponseCounters;
  close(): void;
}

export function createResponseSender(options: ResponseSenderOptions): ResponseSender {
  void options;
  throw new Error('response sender not implemented yet');
}
