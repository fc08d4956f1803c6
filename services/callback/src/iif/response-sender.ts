// Sends `RESPONSE: id=..;real_duration=..;` to the requester, resends until its `ACK: id=..;code=ok` or the
// bound, then settles through Callbacks (CallbackResponseSettled). The seed's AS never retransmits anything
// of its own for a RESPONSE, so the resends are the only thing between a lost datagram and a lost report.
import type { Logger } from '@callctl/logging';
import type { Callbacks, IifResponses, OwedResponse } from '../app/ports.js';
import { formatResponse } from './iif-message.js';
import { parseAddress, type SourceAddress } from './peers.js';

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

interface Owed {
  response: OwedResponse;
  target: SourceAddress;
  datagram: string;
  sent: number;
  timer?: NodeJS.Timeout;
  /** Acknowledged or given up: settle() is under way, nothing more is sent. */
  settling: boolean;
}

export function createResponseSender(options: ResponseSenderOptions): ResponseSender {
  const log = options.log.child({ module: 'iif-response' });
  // By callback id: one RESPONSE per callback, however often the core tells of it (at end, at restart).
  const owed = new Map<string, Owed>();
  const counters: ResponseCounters = { sent: 0, acknowledged: 0, abandoned: 0 };
  let send: ((datagram: string, address: SourceAddress) => void) | undefined;
  let closed = false;

  function later(entry: Owed, delayMs: number, action: () => void): void {
    entry.timer = setTimeout(action, delayMs);
    entry.timer.unref();
  }

  function transmit(entry: Owed): void {
    if (!send || closed || entry.settling) return;
    try {
      send(entry.datagram, entry.target);
    } catch (err) {
      // Counted as sent all the same: a datagram lost in our own stack is like one lost on the way.
      log.warn({ err, callbackId: entry.response.callbackId }, 'RESPONSE send failed');
    }
    entry.sent += 1;
    counters.sent += 1;
    // 1, 2, 4 ... retry intervals; after the last datagram one more interval for its ACK, then give up.
    const wait = options.retryMs * 2 ** (entry.sent - 1);
    later(entry, wait, () => (entry.sent < options.attempts ? transmit(entry) : settle(entry, false)));
  }

  function settle(entry: Owed, acknowledged: boolean): void {
    if (entry.settling) return;
    entry.settling = true;
    clearTimeout(entry.timer);
    const { callbackId, iifId } = entry.response;
    if (acknowledged) counters.acknowledged += 1;
    else {
      counters.abandoned += 1;
      log.warn({ callbackId, iifId, attempts: entry.sent }, 'RESPONSE not acknowledged, given up');
    }
    // Read at settle time (set after construction); a synchronous throw is caught like a rejection.
    Promise.resolve()
      .then(() => options.settle(callbackId, acknowledged, entry.sent))
      .catch((err: unknown) =>
        // Not recorded: the core owes it again after a restart (the AS may get one more RESPONSE).
        log.error({ err, callbackId }, 'recording the settled RESPONSE failed'),
      )
      .finally(() => owed.delete(callbackId));
  }

  return {
    owe(response) {
      if (closed || owed.has(response.callbackId)) return;
      const target = parseAddress(response.peerAddress);
      const realDurationS = Math.max(0, Math.round(response.realDurationS));
      const entry: Owed = {
        response,
        target: target ?? { host: '', port: 0 },
        datagram: formatResponse(response.iifId, realDurationS),
        sent: 0,
        settling: false,
      };
      owed.set(response.callbackId, entry);
      if (!target) {
        log.error({ callbackId: response.callbackId, peerAddress: response.peerAddress }, 'bad peer address');
        settle(entry, false);
        return;
      }
      transmit(entry);
    },
    attach(sender) {
      send = sender;
      // RESPONSEs owed before the socket was up (told at start) go now.
      for (const entry of owed.values()) if (entry.sent === 0) transmit(entry);
    },
    acknowledge(iifId, peerAddress) {
      // The AS may acknowledge from another port of its host; the id and the host must match.
      const from = parseAddress(peerAddress);
      if (!from) return false;
      let found = false;
      for (const entry of owed.values()) {
        if (entry.response.iifId !== iifId || entry.target.host !== from.host) continue;
        found = true;
        settle(entry, true);
      }
      return found;
    },
    counters: () => ({ ...counters }),
    close() {
      closed = true;
      for (const entry of owed.values()) clearTimeout(entry.timer);
    },
  };
}
