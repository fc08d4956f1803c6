// Digest authentication of devices, as the registrar (401, WWW-Authenticate) and the INVITE gate (407,
// Proxy-Authenticate) do it: the credentials checked against the provisioned user's HA1 (domain/digest-auth),
// the challenges sent one header per algorithm. The nonce counts live here, per process: a nonce answered on
// another instance is counted there, and a replay sent to this one is still refused once it was seen here.
import type { Logger } from '@callctl/logging';
import type { ProvisioningView } from '@callctl/provisioning';
import { NonceCounts } from '@callctl/sip';
import {
  checkDigest,
  digestChallenges,
  type DigestOutcome,
  type DigestPolicy,
} from '../domain/digest-auth.js';
import { sendFinal, warningHeader } from './sip-response.js';
import type { SipRequest, SipResponder } from './sip-stack.js';

/** The 401 of a registrar or the 407 of a proxy (RFC 3261 22.1, 22.3). */
export const DIGEST_ROLES = {
  registrar: { status: 401, challenge: 'WWW-Authenticate', credentials: 'Authorization' },
  proxy: { status: 407, challenge: 'Proxy-Authenticate', credentials: 'Proxy-Authorization' },
} as const;
export type DigestRole = keyof typeof DIGEST_ROLES;

export class DeviceDigest {
  private readonly counts = new NonceCounts();

  constructor(
    private readonly options: {
      policy: DigestPolicy;
      provisioning: ProvisioningView;
      now: () => number;
      log: Logger;
    },
  ) {}

  /** The outcome of the request's credentials for `username@realm`. */
  check(request: SipRequest, role: DigestRole, realm: string, username: string): DigestOutcome {
    const value = request.get(DIGEST_ROLES[role].credentials);
    return checkDigest({
      authorizations: value ? [value] : [],
      method: request.method,
      realm,
      username,
      user: this.options.provisioning.snapshot().users.get(`${username}@${realm}`),
      nowMs: this.options.now(),
      policy: this.options.policy,
      nonceCounts: this.counts,
    });
  }

  /**
   * Answers a request whose outcome is not `authenticated`: fresh challenges (401/407), or the refusal with
   * a Warning that says why.
   */
  async answer(
    responder: SipResponder,
    role: DigestRole,
    realm: string,
    outcome: Exclude<DigestOutcome, { kind: 'authenticated' }>,
  ): Promise<void> {
    this.options.log.debug({ realm, reason: outcome.reason, role }, 'digest authentication not passed');
    if (outcome.kind === 'refuse') {
      await sendFinal(responder, outcome.status, outcome.reason, warningHeader(outcome.reason));
      return;
    }
    const { challenge, status } = DIGEST_ROLES[role];
    const values = digestChallenges(this.options.policy, realm, this.options.now(), outcome.stale);
    // srf joins repeated header names with commas, which would run the Digest challenges into one that no
    // device parses; RFC 8760 wants one header per algorithm, so the values go as separate header lines.
    await sendFinal(responder, status, undefined, {
      [challenge]: values.join(`\r\n${challenge}: `),
      ...warningHeader(outcome.reason),
    });
  }
}
