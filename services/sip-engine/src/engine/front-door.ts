import type { Logger } from '@callctl/logging';
import {
  buildParseErrorResponse,
  buildResponse,
  isSipParseError,
  parseMessage,
  serializeMessage,
  validateRequest,
  type SipRequest,
  type SipResponse,
} from '@callctl/sip';
import type { Inbound } from '../transport/transport.js';
import type { FloodGuard } from './flood-guard.js';
import type { MalformedTally } from './malformed-tally.js';
import { matchSpammer, type SpammerOptions } from './spammers.js';

export interface FrontDoorOptions {
  log: Logger;
  /** Where malformed and invalid messages are counted and logged, at a bounded rate. */
  malformed: MalformedTally;
  /** The per-source flood ban; undefined: none. */
  flood?: FloodGuard;
  /** Known scanners' headers (drachtio's `spammers`); undefined: none. */
  spammers?: SpammerOptions;
  /** Where refused spammers are logged at a bounded rate (one line, then a summary per window). */
  spammerLog?: MalformedTally;
  /** Counts of what the screening refused (spammers discarded and rejected). */
  screened?: ScreenedCounts;
  /** A well-formed, valid request for the transaction layer. */
  onRequest: (request: SipRequest, inbound: Inbound) => void;
  /** A well-formed response for the transaction layer. */
  onResponse: (response: SipResponse, inbound: Inbound) => void;
}

export interface ScreenedCounts {
  spammersDiscarded: number;
  spammersRejected: number;
}

/**
 * The stateless first step for every message off the wire: parse, answer malformed requests with 400 naming
 * the problem (SipParseError.reason), answer invalid ones as validateRequest says, drop malformed responses,
 * and never let one message crash the process. Before any of it, a banned source is dropped unparsed; a
 * request is then counted against its source's flood allowance and checked for a scanner's headers
 * (Kamailio's REQINIT order: ban, pike, user agent). Answers go back to the packet's source (RFC 3581 symmetric
 * response routing), which on a reliable transport is the connection it came on.
 */
export function createFrontDoor(options: FrontDoorOptions): (inbound: Inbound) => void {
  const { log } = options;
  const reply = (inbound: Inbound, response: SipResponse) =>
    inbound.transport
      .send(serializeMessage(response), inbound.remote)
      .catch((err: unknown) => log.debug({ err, remote: inbound.remote }, 'could not send error response'));

  const { flood, spammers } = options;
  const screened = options.screened ?? { spammersDiscarded: 0, spammersRejected: 0 };
  return (inbound) => {
    if (flood?.dropIfBanned(inbound.remote.address)) return;
    let message: SipRequest | SipResponse;
    try {
      message = parseMessage(inbound.data);
    } catch (err) {
      if (!isSipParseError(err)) {
        log.error({ err, remote: inbound.remote }, 'unexpected parser failure');
        return;
      }
      const response = buildParseErrorResponse(err);
      options.malformed.record('malformed message', {
        remote: inbound.remote,
        reason: err.reason,
        answered: response !== undefined,
      });
      if (response) void reply(inbound, response);
      return;
    }
    try {
      if ('method' in message) {
        if (flood && flood.check(inbound.remote.address) === 'drop') return;
        const failure = validateRequest(message);
        if (failure) {
          options.malformed.record('invalid request', {
            remote: inbound.remote,
            status: failure.status,
            reason: failure.reason,
          });
          if (message.method !== 'ACK') {
            void reply(
              inbound,
              buildResponse(message, failure.status, failure.reason, { headers: failure.headers }),
            );
          }
          return;
        }
        const spammer = spammers && matchSpammer(message, inbound.transport.protocol, spammers);
        if (spammer) {
          options.spammerLog?.record('spammer request refused', {
            remote: inbound.remote,
            reason: spammer.header,
            ...spammer,
          });
          if (spammer.action === 'discard') screened.spammersDiscarded += 1;
          else {
            screened.spammersRejected += 1;
            if (message.method !== 'ACK') void reply(inbound, buildResponse(message, 403, 'Forbidden'));
          }
          return;
        }
        options.onRequest(message, inbound);
      } else {
        options.onResponse(message, inbound);
      }
    } catch (err) {
      // A lazily parsed header can still throw deep in a handler; the message is dropped, the engine lives.
      // Malformed input is the peer's fault, not ours: counted, logged with the reason, no stack.
      if (isSipParseError(err)) {
        options.malformed.record('malformed message', {
          remote: inbound.remote,
          reason: err.reason,
          answered: false,
        });
      } else {
        log.warn({ err, remote: inbound.remote }, 'message handling failed');
      }
    }
  };
}
