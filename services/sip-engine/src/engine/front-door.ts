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
import type { MalformedTally } from './malformed-tally.js';

export interface FrontDoorOptions {
  log: Logger;
  /** Where malformed and invalid messages are counted and logged, at a bounded rate. */
  malformed: MalformedTally;
  /** A well-formed, valid request for the transaction layer. */
  onRequest: (request: SipRequest, inbound: Inbound) => void;
  /** A well-formed response for the transaction layer. */
  onResponse: (response: SipResponse, inbound: Inbound) => void;
}

/**
 * The stateless first step for every message off the wire: parse, answer malformed requests with 400 naming
 * the problem (SipParseError.reason), answer invalid ones as validateRequest says, drop malformed responses,
 * and never let one message crash the process. Answers go back to the packet's source (RFC 3581 symmetric
 * response routing), which on a reliable transport is the connection it came on.
 */
export function createFrontDoor(options: FrontDoorOptions): (inbound: Inbound) => void {
  const { log } = options;
  const reply = (inbound: Inbound, response: SipResponse) =>
    inbound.transport
      .send(serializeMessage(response), inbound.remote)
      .catch((err: unknown) => log.debug({ err, remote: inbound.remote }, 'could not send error response'));

  return (inbound) => {
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
