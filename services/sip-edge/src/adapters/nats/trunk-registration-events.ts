// TrunkRegistrationChanged on trunks.<name>.registration: the wire form of a trunk's registration status.
import { publishMessage, trunkRegistrationSubject, type NatsConnection } from '@callctl/bus';
import { provisioning } from '@callctl/proto';
import type { TrunkRegistrationStatusView } from '@callctl/provisioning';

const { RegistrationState } = provisioning;

const STATES: Record<TrunkRegistrationStatusView['state'], provisioning.RegistrationState> = {
  unregistered: RegistrationState.REGISTRATION_STATE_UNREGISTERED,
  registering: RegistrationState.REGISTRATION_STATE_REGISTERING,
  registered: RegistrationState.REGISTRATION_STATE_REGISTERED,
  failing: RegistrationState.REGISTRATION_STATE_FAILING,
};

export function toRegistrationStatus(
  view: TrunkRegistrationStatusView,
): provisioning.TrunkRegistrationStatus {
  return {
    state: STATES[view.state],
    lastStatus: view.lastStatus,
    lastReason: view.lastReason,
    ...(view.expiresAtMs !== undefined ? { expiresAt: new Date(view.expiresAtMs) } : {}),
    ...(view.nextAttemptAtMs !== undefined ? { nextAttemptAt: new Date(view.nextAttemptAtMs) } : {}),
    instance: view.instance,
    updatedAt: new Date(view.updatedAtMs),
  };
}

/** Publishes the change (core NATS: a missed one is read again from the status bucket). */
export function publishTrunkRegistrationChanged(nc: NatsConnection, view: TrunkRegistrationStatusView): void {
  publishMessage(nc, trunkRegistrationSubject(view.trunk), provisioning.TrunkRegistrationChanged, {
    trunk: view.trunk,
    status: toRegistrationStatus(view),
  });
}
