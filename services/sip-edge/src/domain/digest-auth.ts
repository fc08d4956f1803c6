// Whether a device's request (REGISTER, or an INVITE) carries good digest credentials (RFC 3261 22, RFC 2617
// qop=auth, RFC 8760), pure apart from the nonce-count memory it is handed: the registrar answers 401
// (WWW-Authenticate) and the INVITE gate 407 (Proxy-Authenticate) from the outcome. Nonces are stateless
// (libs/sip digest-nonce.ts), so any sip-edge instance checks any other's.
import type { UserView } from '@callctl/provisioning';
import {
  checkNonce,
  formatChallenge,
  issueNonce,
  parseCredentials,
  verifyResponse,
  type DigestAlgorithm,
  type DigestCredentials,
  type NonceCounts,
} from '@callctl/sip';

export interface DigestPolicy {
  /** Offered most preferred first, one challenge header each (RFC 8760). */
  algorithms: readonly DigestAlgorithm[];
  nonceSecret: string;
  nonceTtlMs: number;
}

export type DigestOutcome =
  | { kind: 'authenticated'; user: UserView; credentials: DigestCredentials }
  /** Answer 401/407 with fresh challenges; `stale`: the credentials were right but the nonce too old. */
  | { kind: 'challenge'; stale: boolean; reason: string }
  | { kind: 'refuse'; status: 400 | 403; reason: string };

export interface DigestInput {
  /** Authorization (or Proxy-Authorization) values of the request, one per header. */
  authorizations: readonly string[];
  method: string;
  /** The realm the request must authenticate in: the platform domain of the AOR / caller. */
  realm: string;
  /** The user the request claims to be (the AOR's or the From's user part). */
  username: string;
  /** The provisioned user of that name in the realm, if any. */
  user: UserView | undefined;
  nowMs: number;
  policy: DigestPolicy;
  nonceCounts: NonceCounts;
}

const ALGORITHM_PARAM = /(?:^|[\s,])algorithm\s*=\s*"?([^",\s]+)"?/i;

function ha1Of(user: UserView, algorithm: DigestAlgorithm): string {
  return algorithm === 'MD5' ? user.ha1Md5 : user.ha1Sha256;
}

function realmOf(value: string): string | undefined {
  return /(?:^|[\s,])realm\s*=\s*"([^"]*)"/i.exec(value)?.[1];
}

/** The outcome for a request's credentials (see DigestOutcome); nothing is stored unless authenticated. */
export function checkDigest(input: DigestInput): DigestOutcome {
  const { policy } = input;
  const ours = input.authorizations.filter((value) => /^\s*digest\s/i.test(value));
  if (ours.length === 0) return { kind: 'challenge', stale: false, reason: 'no credentials' };
  // Credentials for other realms (a proxy on the way) are someone else's business.
  const forRealm = ours.filter((value) => realmOf(value) === input.realm);
  if (forRealm.length === 0) return { kind: 'challenge', stale: false, reason: 'realm mismatch' };
  const value = forRealm[0]!;
  const algorithm = ALGORITHM_PARAM.exec(value)?.[1] ?? 'MD5';
  if (!policy.algorithms.some((a) => a.toLowerCase() === algorithm.toLowerCase()))
    return { kind: 'challenge', stale: false, reason: `unsupported algorithm ${algorithm}` };
  const credentials = parseCredentials(value);
  if (!credentials) return { kind: 'refuse', status: 400, reason: 'Malformed Authorization header' };
  if (credentials.qop !== 'auth' || credentials.nc === undefined || credentials.cnonce === undefined)
    return { kind: 'refuse', status: 400, reason: 'qop=auth with nc and cnonce required' };
  if (!/^[0-9a-f]{8}$/i.test(credentials.nc))
    return { kind: 'refuse', status: 400, reason: 'Malformed nonce count' };
  if (credentials.username !== input.username)
    return { kind: 'refuse', status: 403, reason: 'Username does not match the user' };
  const nonce = checkNonce(
    policy.nonceSecret,
    credentials.nonce,
    input.nowMs,
    policy.nonceTtlMs,
    input.realm,
  );
  if (nonce === 'invalid') return { kind: 'challenge', stale: false, reason: 'nonce not issued here' };
  const user = input.user;
  // An unknown user is answered as a wrong password: the answer must not tell which users exist.
  if (!user || !verifyResponse(credentials, input.method, ha1Of(user, credentials.algorithm)))
    return { kind: 'refuse', status: 403, reason: 'Wrong credentials' };
  if (nonce === 'stale') return { kind: 'challenge', stale: true, reason: 'nonce expired' };
  // Counted only once the response is right, so that forged requests cannot use up a device's counts.
  if (!input.nonceCounts.accept(credentials.nonce, parseInt(credentials.nc, 16)))
    return { kind: 'challenge', stale: false, reason: 'replayed nonce count' };
  return { kind: 'authenticated', user, credentials };
}

/** One challenge value per algorithm of the policy, in its order, all with one fresh nonce. */
export function digestChallenges(
  policy: DigestPolicy,
  realm: string,
  nowMs: number,
  stale: boolean,
): string[] {
  const nonce = issueNonce(policy.nonceSecret, nowMs, realm);
  return policy.algorithms.map((algorithm) =>
    formatChallenge({ realm, nonce, algorithm, qop: ['auth'], ...(stale ? { stale: true } : {}) }),
  );
}
