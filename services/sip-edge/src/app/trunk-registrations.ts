// Registration to providers for every trunk that asks for it (issue 19): one sip-edge instance per trunk
// registers, the one holding the trunk's lease (CALLCTL_TRUNK_LEASES), so a provider sees one contact per
// trunk however many instances run; when that instance goes, its lease ages out and another takes over.
// Follows the provisioning view: a trunk that starts registering is registered, one whose registration
// (or credentials) changed is un-registered and registered anew, one that stops or is deleted is
// un-registered. Status goes to CALLCTL_TRUNK_REGISTRATIONS and, on a change of state or last status, out
// as TrunkRegistrationChanged.
import type { Logger } from '@callctl/logging';
import {
  openSecret,
  TRUNK_LEASE_MAX_AGE_MS,
  type ProvisioningView,
  type TrunkRegistrationStatusView,
  type TrunkStatusStore,
  type TrunkView,
} from '@callctl/provisioning';
import type { RetryPolicy } from '../domain/trunk-registration.js';
import { TrunkRegistration, type RegisterTransport } from './trunk-registration.js';

/** The longest shutdown waits for un-REGISTERs (they take milliseconds when the provider answers). */
export const UNREGISTER_AT_SHUTDOWN_MAX_MS = 2000;

/** The lease is renewed this often: three chances within its max age. */
export const LEASE_RENEW_MS = Math.floor(TRUNK_LEASE_MAX_AGE_MS / 3);

export interface TrunkRegistrationsOptions {
  view: ProvisioningView;
  status: TrunkStatusStore;
  sip: RegisterTransport;
  /** Publishes a status change (TrunkRegistrationChanged on trunks.<name>.registration). */
  publishChange(status: TrunkRegistrationStatusView): void;
  /** Opens a trunk's sealed outbound password; undefined when it cannot (no key, or sealed under another). */
  openPassword(sealed: string): string | undefined;
  retry: RetryPolicy;
  attemptTimeoutMs: number;
  instance: string;
  log: Logger;
  now?: () => number;
  /** @default LEASE_RENEW_MS */
  leaseRenewMs?: number;
}

type RegisteringTrunk = TrunkView & { registration: NonNullable<TrunkView['registration']> };

interface Held {
  registration: TrunkRegistration;
  /** What a change must differ in to restart the registration. */
  fingerprint: string;
}

export class TrunkRegistrations {
  private readonly held = new Map<string, Held>();
  private readonly lastReported = new Map<string, string>();
  private readonly now: () => number;
  private timer: NodeJS.Timeout | undefined;
  private unsubscribe: (() => void) | undefined;
  /** Reconciliations run one at a time, in order. */
  private queue: Promise<void> = Promise.resolve();
  private closed = false;

  constructor(private readonly options: TrunkRegistrationsOptions) {
    this.now = options.now ?? Date.now;
  }

  /** Registers what the view asks for now, then follows its changes and renews the leases. */
  start(): void {
    this.unsubscribe = this.options.view.onChange((kind) => {
      if (kind === 'trunk') this.reconcileSoon();
    });
    this.reconcileSoon();
    this.timer = setInterval(() => this.reconcileSoon(), this.options.leaseRenewMs ?? LEASE_RENEW_MS);
  }

  /**
   * Un-registers every trunk this instance registers and gives up its leases (shutdown), waiting at most
   * UNREGISTER_AT_SHUTDOWN_MAX_MS: a provider that does not answer must not eat the process's stop budget
   * (its registration then lapses at its expiry).
   */
  async close(): Promise<void> {
    this.closed = true;
    this.unsubscribe?.();
    clearInterval(this.timer);
    let timer: NodeJS.Timeout | undefined;
    const bound = new Promise<'cut'>((resolve) => {
      timer = setTimeout(() => resolve('cut'), UNREGISTER_AT_SHUTDOWN_MAX_MS);
    });
    const done = this.queue.then(() =>
      Promise.all([...this.held.keys()].map((name) => this.release(name, true))),
    );
    const outcome = await Promise.race([done, bound]);
    clearTimeout(timer);
    if (outcome === 'cut')
      this.options.log.warn('trunk un-registrations still pending at shutdown; left to lapse');
  }

  private reconcileSoon(): void {
    this.queue = this.queue
      .then(() => (this.closed ? undefined : this.reconcile()))
      .catch((error: unknown) =>
        this.options.log.error({ err: error }, 'trunk registrations: reconcile failed'),
      );
  }

  private async reconcile(): Promise<void> {
    const wanted = new Map<string, RegisteringTrunk>();
    for (const trunk of this.options.view.snapshot().trunks.values()) {
      if (trunk.registration) wanted.set(trunk.name, trunk as RegisteringTrunk);
    }
    for (const name of [...this.held.keys()]) {
      if (!wanted.has(name)) await this.release(name, true);
    }
    for (const trunk of wanted.values()) await this.keep(trunk);
  }

  private async keep(trunk: RegisteringTrunk): Promise<void> {
    const { log, status, instance } = this.options;
    let leased: boolean;
    try {
      leased = await status.holdLease(trunk.name, instance);
    } catch (error) {
      // NATS away: go on as we were; the lease ages out elsewhere only if NATS is up there.
      log.warn({ err: error, trunk: trunk.name }, 'trunk lease not renewed');
      return;
    }
    const current = this.held.get(trunk.name);
    if (!leased) {
      if (current) {
        log.warn({ trunk: trunk.name }, 'trunk lease taken by another instance; un-registering here');
        await this.stopRegistration(trunk.name, true);
      }
      return;
    }
    const fingerprint = fingerprintOf(trunk);
    if (current?.fingerprint === fingerprint) return;
    if (current) {
      log.info({ trunk: trunk.name }, 'trunk registration changed; registering anew');
      await this.stopRegistration(trunk.name, true);
    }
    const registration = new TrunkRegistration(
      {
        sip: this.options.sip,
        password: (t) =>
          t.outboundAuth ? this.options.openPassword(t.outboundAuth.sealedPassword) : undefined,
        report: (s) => this.report(s),
        retry: this.options.retry,
        attemptTimeoutMs: this.options.attemptTimeoutMs,
        instance,
        now: this.now,
        log,
      },
      trunk,
    );
    this.held.set(trunk.name, { registration, fingerprint });
    log.info({ trunk: trunk.name, registrar: trunk.registration.registrarUri }, 'registering trunk');
    registration.start();
  }

  private async stopRegistration(name: string, unregister: boolean): Promise<void> {
    const current = this.held.get(name);
    if (!current) return;
    this.held.delete(name);
    await current.registration.stop(unregister);
  }

  /** Stops a registration, gives up the lease and says so in the status. */
  private async release(name: string, unregister: boolean): Promise<void> {
    await this.stopRegistration(name, unregister);
    const { status, instance, log } = this.options;
    try {
      await status.releaseLease(name, instance);
    } catch (error) {
      log.warn({ err: error, trunk: name }, 'trunk lease not released; it ages out');
    }
    this.report({
      trunk: name,
      state: 'unregistered',
      lastStatus: 0,
      lastReason: '',
      instance,
      updatedAtMs: this.now(),
    });
  }

  private report(view: TrunkRegistrationStatusView): void {
    const { status, log } = this.options;
    status
      .put(view)
      .catch((error: unknown) => log.warn({ err: error, trunk: view.trunk }, 'trunk status not stored'));
    const change = `${view.state}/${view.lastStatus}`;
    if (this.lastReported.get(view.trunk) === change) return;
    this.lastReported.set(view.trunk, change);
    log.info(
      { trunk: view.trunk, state: view.state, sipStatus: view.lastStatus },
      'trunk registration state',
    );
    this.options.publishChange(view);
  }
}

/** The parts of a trunk its registration is made of: a change in any of them re-registers. */
function fingerprintOf(trunk: RegisteringTrunk): string {
  return JSON.stringify([trunk.registration, trunk.outboundAuth ?? null]);
}

/**
 * Opens trunks' sealed passwords with PROVISIONING_SECRETS_KEY; without the key, or for a password sealed
 * under another, there is none (and the trunk's registration fails on the provider's challenge, logged).
 */
export function passwordOpener(key: Buffer | undefined, log: Logger): (sealed: string) => string | undefined {
  return (sealed) => {
    if (!key) {
      log.warn('PROVISIONING_SECRETS_KEY is not set: trunk passwords cannot be opened');
      return undefined;
    }
    try {
      return openSecret(key, sealed);
    } catch (error) {
      log.warn({ err: error }, 'a trunk password does not open with PROVISIONING_SECRETS_KEY');
      return undefined;
    }
  };
}
