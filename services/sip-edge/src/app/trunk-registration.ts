// One trunk's registration to its provider, for as long as this instance holds the trunk's lease: REGISTER
// (one Call-ID, rising CSeq, RFC 3261 10.2.4), digest on 401/407 with the trunk's outbound credentials (MD5
// or SHA-256, the first challenge we speak), refresh at about half the granted expiry, backoff on failure,
// and an un-REGISTER (expires=0) when stopped. Each outcome is reported as a status view.
import { randomBytes, randomUUID } from 'node:crypto';
import type { Logger } from '@callctl/logging';
import type { TrunkRegistrationStatusView, TrunkView } from '@callctl/provisioning';
import {
  answerChallenge,
  formatCredentials,
  newTag,
  pickChallenge,
  type DigestChallenge,
} from '@callctl/sip';
import {
  challengesIn,
  contactWithUser,
  refreshDelayMs,
  registerOutcome,
  registrarTransport,
  retryDelayMs,
  type RegisterResponse,
  type RetryPolicy,
} from '../domain/trunk-registration.js';
import type { SipHeaders, SipResponseMessage } from './sip-stack.js';

/** What a registration needs of the SIP stack. */
export interface RegisterTransport {
  /** The engine's own URI for a transport (`sip:host:port[;transport=tcp]`), undefined when it has none. */
  contactUri(protocol: 'udp' | 'tcp' | 'tls'): string | undefined;
  /** An out-of-dialog request; resolves with its final response, rejects when the engine cannot send it. */
  sendRequest(uri: string, options: { method: string; headers: SipHeaders }): Promise<SipResponseMessage>;
}

export interface TrunkRegistrationDeps {
  sip: RegisterTransport;
  /** The trunk's outbound password, opened from its sealed form; undefined when it has none or it cannot. */
  password(trunk: TrunkView): string | undefined;
  report(status: TrunkRegistrationStatusView): void;
  retry: RetryPolicy;
  /** A REGISTER not answered finally within this long is a failed attempt (GATEWAY_ATTEMPT_TIMEOUT_MS). */
  attemptTimeoutMs: number;
  instance: string;
  now(): number;
  log: Logger;
}

type Sent = { response: SipResponseMessage } | { error: Error };

/** Challenges answered per attempt: one fresh, one more only when the registrar says the nonce was stale. */
const MAX_CHALLENGES_PER_ATTEMPT = 2;

export class TrunkRegistration {
  private readonly callId = randomUUID();
  private readonly fromTag = newTag();
  private cseq = 0;
  private failures = 0;
  private requestedS: number;
  private timer: NodeJS.Timeout | undefined;
  private stopped = false;
  private registered = false;
  private running: Promise<void> = Promise.resolve();
  /** The last challenge answered and its nonce count: refreshes send credentials at once (nc + 1). */
  private lastChallenge: { challenge: DigestChallenge; nonceCount: number; proxy: boolean } | undefined;

  constructor(
    private readonly deps: TrunkRegistrationDeps,
    readonly trunk: TrunkView & { registration: NonNullable<TrunkView['registration']> },
  ) {
    this.requestedS = trunk.registration.expiresS;
  }

  start(): void {
    this.schedule(0);
  }

  /** Stops refreshing; with `unregister`, removes our contact at the provider first (bounded). */
  async stop(unregister: boolean): Promise<void> {
    this.stopped = true;
    clearTimeout(this.timer);
    await this.running;
    if (unregister && this.registered) {
      const sent = await this.exchange(0);
      const status = 'response' in sent ? sent.response.status : 0;
      this.deps.log.info({ trunk: this.trunk.name, sipStatus: status }, 'trunk un-registered');
    }
    this.registered = false;
  }

  private schedule(delayMs: number): void {
    if (this.stopped) return;
    this.timer = setTimeout(() => {
      this.running = this.attempt().catch((error: unknown) =>
        this.deps.log.error({ err: error, trunk: this.trunk.name }, 'trunk registration attempt failed'),
      );
    }, delayMs);
  }

  private async attempt(): Promise<void> {
    // Said once, at the start: a refresh or a retry is no news (a failing trunk stays failing until it is not).
    if (!this.registered && this.failures === 0)
      this.report({ state: 'registering', lastStatus: 0, lastReason: '' });
    const sent = await this.exchange(this.requestedS);
    if (this.stopped) return;
    if ('error' in sent) return this.fail(0, sent.error.message);
    const { response } = sent;
    const outcome = registerOutcome(wrap(response), this.contact(), this.requestedS);
    switch (outcome.kind) {
      case 'registered': {
        this.failures = 0;
        this.registered = true;
        const refreshMs = refreshDelayMs(outcome.expiresS);
        const now = this.deps.now();
        this.report(
          {
            state: 'registered',
            lastStatus: response.status,
            lastReason: response.reason,
            expiresAtMs: now + outcome.expiresS * 1000,
          },
          now,
        );
        this.deps.log.debug(
          { trunk: this.trunk.name, expiresS: outcome.expiresS, refreshMs },
          'trunk registered',
        );
        return this.schedule(refreshMs);
      }
      case 'interval-too-brief':
        this.requestedS = outcome.minExpiresS;
        return this.schedule(0);
      case 'challenged':
      case 'failed':
        return this.fail(response.status, response.reason);
    }
  }

  private fail(status: number, reason: string): void {
    this.failures += 1;
    this.registered = false;
    const delayMs = retryDelayMs(this.failures, this.deps.retry);
    // One clock reading for both fields, so nextAttemptAt − updatedAt is exactly the backoff.
    const now = this.deps.now();
    this.report(
      {
        state: 'failing',
        lastStatus: status,
        lastReason: reason,
        nextAttemptAtMs: now + delayMs,
      },
      now,
    );
    this.deps.log.warn(
      { trunk: this.trunk.name, sipStatus: status, reason, failures: this.failures, retryMs: delayMs },
      'trunk registration failed',
    );
    this.schedule(delayMs);
  }

  /**
   * One REGISTER transaction chain for `expiresS`: the request, and the same again with credentials for each
   * challenge we may answer. Resolves with the last final response, or the error that kept it from one.
   */
  private async exchange(expiresS: number): Promise<Sent> {
    let answered = 0;
    for (;;) {
      const sent = await this.send(expiresS);
      if ('error' in sent) return sent;
      const { response } = sent;
      if (response.status !== 401 && response.status !== 407) return sent;
      const proxy = response.status === 407;
      const challenge = pickChallenge(
        challengesIn(response.get(proxy ? 'Proxy-Authenticate' : 'WWW-Authenticate')),
      );
      // A fresh challenge to credentials we just computed from a fresh one: the password is wrong.
      if (!challenge || answered >= MAX_CHALLENGES_PER_ATTEMPT || (answered > 0 && !challenge.stale))
        return sent;
      if (!this.deps.password(this.trunk)) return sent;
      this.lastChallenge = { challenge, nonceCount: 0, proxy };
      answered += 1;
    }
  }

  private async send(expiresS: number): Promise<Sent> {
    const registration = this.trunk.registration;
    const uri = registration.registrarUri;
    this.cseq += 1;
    const headers: SipHeaders = {
      From: `<${registration.aor}>;tag=${this.fromTag}`,
      To: `<${registration.aor}>`,
      'Call-ID': this.callId,
      CSeq: `${this.cseq} REGISTER`,
      Contact: `<${this.contact()}>${expiresS === 0 ? ';expires=0' : ''}`,
      Expires: String(expiresS),
      ...this.credentials(uri),
    };
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<Sent>((resolve) => {
      timer = setTimeout(
        () => resolve({ error: new Error(`no final response within ${this.deps.attemptTimeoutMs} ms`) }),
        this.deps.attemptTimeoutMs,
      );
    });
    const request = this.deps.sip.sendRequest(uri, { method: 'REGISTER', headers }).then(
      (response): Sent => ({ response }),
      (error: unknown): Sent => ({ error: error instanceof Error ? error : new Error(String(error)) }),
    );
    try {
      return await Promise.race([request, timeout]);
    } finally {
      clearTimeout(timer);
    }
  }

  /** Authorization for the last challenge answered, with the next nonce count; none before the first. */
  private credentials(uri: string): SipHeaders {
    const last = this.lastChallenge;
    const username = this.trunk.outboundAuth?.username;
    const password = this.deps.password(this.trunk);
    if (!last || !username || password === undefined) return {};
    last.nonceCount += 1;
    const credentials = answerChallenge({
      challenge: last.challenge,
      username,
      password,
      method: 'REGISTER',
      uri,
      nonceCount: last.nonceCount,
      cnonce: randomBytes(8).toString('hex'),
    });
    return { [last.proxy ? 'Proxy-Authorization' : 'Authorization']: formatCredentials(credentials) };
  }

  private contact(): string {
    const protocol = registrarTransport(this.trunk.registration.registrarUri);
    const engineUri =
      this.deps.sip.contactUri(protocol) ?? this.deps.sip.contactUri('udp') ?? 'sip:127.0.0.1';
    return contactWithUser(engineUri, this.trunk.registration.contactUser);
  }

  private report(
    status: Pick<
      TrunkRegistrationStatusView,
      'state' | 'lastStatus' | 'lastReason' | 'expiresAtMs' | 'nextAttemptAtMs'
    >,
    nowMs: number = this.deps.now(),
  ): void {
    this.deps.report({
      trunk: this.trunk.name,
      instance: this.deps.instance,
      updatedAtMs: nowMs,
      ...status,
    });
  }
}

function wrap(response: SipResponseMessage): RegisterResponse {
  return { status: response.status, header: (name) => response.get(name) };
}
