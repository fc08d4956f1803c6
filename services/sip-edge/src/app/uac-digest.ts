// The platform's digest UAC for INVITEs to carriers: a 401/407 from a trunk's gateway is answered with
// the trunk's outbound credentials in a new INVITE of the same dialog attempt (same Call-ID and From tag,
// CSeq + 1, RFC 3261 22.2), in MD5 or SHA-256 as the gateway asks (RFC 8760).
import { randomBytes } from 'node:crypto';
import type { Logger } from '@callctl/logging';
import { openSecret, type TrunkView } from '@callctl/provisioning';
import { parseCSeq } from '@callctl/sip';
import { answerOf, challengeHeaderOf, challengesOf } from '../domain/digest-answer.js';
import type { SentRequest, SipFailure, SipHeaders } from './sip-stack.js';

export interface Reauthentication {
  /** The headers of the INVITE that answers the challenge (on top of the attempt's own). */
  headers: SipHeaders;
  /** The challenge said the nonce was stale: worth another round even after an answered one. */
  stale: boolean;
}

/**
 * The headers answering the challenge of `failure` (a 401 or 407 to `sent`), or undefined when the trunk
 * has no credentials, the password cannot be opened, or no challenge is one we can answer (logged).
 */
export function reauthentication(
  trunk: TrunkView,
  secretsKey: Buffer | undefined,
  failure: SipFailure,
  sent: SentRequest,
  log: Logger,
): Reauthentication | undefined {
  const auth = trunk.outboundAuth;
  if (!auth) {
    log.warn(
      { trunk: trunk.name, sipStatus: failure.status },
      'gateway challenged; trunk has no credentials',
    );
    return undefined;
  }
  if (!secretsKey) {
    log.warn({ trunk: trunk.name }, 'gateway challenged; PROVISIONING_SECRETS_KEY unset, password sealed');
    return undefined;
  }
  let password: string;
  try {
    password = openSecret(secretsKey, auth.sealedPassword);
  } catch (error) {
    log.error({ err: error, trunk: trunk.name }, 'trunk password cannot be opened with this key');
    return undefined;
  }
  const answer = answerOf({
    status: failure.status,
    challenges: challengesOf(failure.res?.get(challengeHeaderOf(failure.status))),
    username: auth.username,
    password,
    method: sent.method,
    uri: sent.uri,
    cnonce: randomBytes(8).toString('hex'),
  });
  if (!answer) {
    log.warn({ trunk: trunk.name, sipStatus: failure.status }, 'gateway challenge not answerable');
    return undefined;
  }
  const cseq = parseCSeq(sent.get('CSeq') ?? '1 INVITE');
  return {
    headers: {
      'Call-ID': sent.get('Call-ID') ?? '',
      CSeq: `${cseq.seq + 1} ${sent.method}`,
      From: sent.get('From') ?? '',
      [answer.header]: answer.value,
    },
    stale: answer.stale,
  };
}
