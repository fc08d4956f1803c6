// Trunk registration status (CALLCTL_TRUNK_REGISTRATIONS) and the lease that says which sip-edge instance
// registers a trunk (CALLCTL_TRUNK_LEASES), so one instance registers each trunk and another takes over
// when it dies.
import { JetStreamApiCodes, JetStreamApiError } from '@nats-io/jetstream';
import type { NatsConnection } from '@nats-io/nats-core';
import {
  TRUNK_LEASES_BUCKET,
  TRUNK_LEASE_MAX_AGE_MS,
  TRUNK_REGISTRATIONS_BUCKET,
  trunkLeaseKey,
  trunkStatusKey,
} from './kv-layout.js';
import { openHealingBucket } from './kv-bucket.js';
import type { TrunkRegistrationStatusView } from './model.js';

export interface TrunkStatusStore {
  put(status: TrunkRegistrationStatusView): Promise<void>;
  get(trunk: string): Promise<TrunkRegistrationStatusView | undefined>;
  /**
   * Takes or keeps the lease of a trunk's registration for `instance` (create if absent, else update only
   * when this instance holds it, by revision); false when another instance holds it.
   */
  holdLease(trunk: string, instance: string): Promise<boolean>;
  releaseLease(trunk: string, instance: string): Promise<void>;
}

export interface TrunkStatusStoreOptions {
  /** @default TRUNK_REGISTRATIONS_BUCKET */
  statusBucket?: string;
  /** @default TRUNK_LEASES_BUCKET */
  leaseBucket?: string;
  /**
   * The lease bucket's max age, set when the bucket is created: a holder that stops refreshing loses its
   * lease this long after its last holdLease. @default TRUNK_LEASE_MAX_AGE_MS
   */
  leaseMaxAgeMs?: number;
}

/**
 * The lease is a KV entry whose value is the holder's instance name. The bucket's max age expires it when
 * the holder stops refreshing (call holdLease every third of TRUNK_LEASE_MAX_AGE_MS or so); create (only if
 * absent or deleted) and update (only at the revision read) make taking it a compare-and-set, so two
 * instances never both win.
 */
export async function openTrunkStatusStore(
  nc: NatsConnection,
  options: TrunkStatusStoreOptions = {},
): Promise<TrunkStatusStore> {
  const inStatus = await openHealingBucket(nc, options.statusBucket ?? TRUNK_REGISTRATIONS_BUCKET);
  const inLeases = await openHealingBucket(nc, options.leaseBucket ?? TRUNK_LEASES_BUCKET, {
    ttl: options.leaseMaxAgeMs ?? TRUNK_LEASE_MAX_AGE_MS,
  });

  return {
    async put(view) {
      await inStatus((kv) => kv.put(trunkStatusKey(view.trunk), JSON.stringify(view)));
    },
    async get(trunk) {
      const entry = await inStatus((kv) => kv.get(trunkStatusKey(trunk)));
      return entry === null || entry.operation !== 'PUT'
        ? undefined
        : entry.json<TrunkRegistrationStatusView>();
    },
    holdLease: (trunk, instance) =>
      inLeases(async (leases) => {
        const key = trunkLeaseKey(trunk);
        const entry = await leases.get(key);
        try {
          if (entry === null || entry.operation !== 'PUT') await leases.create(key, instance);
          else if (entry.string() === instance) await leases.update(key, instance, entry.revision);
          else return false;
          return true;
        } catch (error) {
          // Lost the compare-and-set: another instance took or refreshed the lease in between.
          if (isWrongLastSequence(error)) return false;
          throw error;
        }
      }),
    releaseLease: (trunk, instance) =>
      inLeases(async (leases) => {
        const key = trunkLeaseKey(trunk);
        const entry = await leases.get(key);
        if (entry === null || entry.operation !== 'PUT' || entry.string() !== instance) return;
        await leases.delete(key, { previousSeq: entry.revision }).catch((error: unknown) => {
          if (!isWrongLastSequence(error)) throw error;
        });
      }),
  };
}

/** JetStream's "wrong last sequence": a create or update that lost a compare-and-set. */
function isWrongLastSequence(error: unknown): boolean {
  return (
    error instanceof JetStreamApiError &&
    (error.code === JetStreamApiCodes.StreamWrongLastSequence ||
      error.code === JetStreamApiCodes.StreamWrongLastSequenceUnknown)
  );
}
