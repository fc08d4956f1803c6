// The platform's answer to a carrier's digest challenge (pure): the platform's own UAC side, since srf's
// answers MD5 only and carriers may ask for SHA-256 (RFC 8760). The algorithm work is libs/sip's digest.
import { answerChallenge, formatCredentials, pickChallenge } from '@callctl/sip';

/**
 * The challenges of a 401/407 as srf hands them: every WWW-Authenticate (or Proxy-Authenticate) header
 * joined into one value with commas, so `Digest ..., Digest ...` is cut before each scheme.
 */
export function challengesOf(joined: string | undefined): string[] {
  if (!joined) return [];
  return joined
    .split(/,\s*(?=digest\s)/i)
    .map((value) => value.trim())
    .filter(Boolean);
}

export interface DigestAnswer {
  /** Authorization after a 401, Proxy-Authorization after a 407. */
  header: 'Authorization' | 'Proxy-Authorization';
  value: string;
  /** The challenge said stale=true: the credentials were right, only the nonce had expired. */
  stale: boolean;
}

/**
 * The credentials header answering a 401/407 for the request `method uri`, or undefined when no
 * challenge in it is one we can answer (not Digest, or an algorithm we do not speak).
 */
export function answerOf(o: {
  status: number;
  challenges: readonly string[];
  username: string;
  password: string;
  method: string;
  uri: string;
  cnonce: string;
}): DigestAnswer | undefined {
  const challenge = pickChallenge(o.challenges);
  if (!challenge) return undefined;
  const credentials = answerChallenge({
    challenge,
    username: o.username,
    password: o.password,
    method: o.method,
    uri: o.uri,
    nonceCount: 1,
    cnonce: o.cnonce,
  });
  return {
    header: o.status === 407 ? 'Proxy-Authorization' : 'Authorization',
    value: formatCredentials(credentials),
    stale: challenge.stale === true,
  };
}

/** The header a 401 or 407 carries its challenges in. */
export function challengeHeaderOf(status: number): 'WWW-Authenticate' | 'Proxy-Authenticate' {
  return status === 407 ? 'Proxy-Authenticate' : 'WWW-Authenticate';
}
