// A KV bucket that is made again when NATS has lost it. The registrar's bindings and the trunk leases are
// soft state: after a NATS restart without its JetStream store they come back by themselves (devices
// re-register, instances take leases again), but only if the buckets exist again. Without this, every
// write would fail (JetStream answers a missing stream with "not enabled", a timeout or "stream not found",
// depending on the call) until the sip-edge restarted.
import { JetStreamApiCodes, JetStreamApiError } from '@nats-io/jetstream';
import { Kvm, type KV, type KvOptions } from '@nats-io/kv';
import type { NatsConnection } from '@nats-io/nats-core';

/** Runs an operation on the bucket; when it fails because the bucket is gone, makes it and runs it again once. */
export type BucketOperation = <T>(operation: (kv: KV) => Promise<T>) => Promise<T>;

export async function openHealingBucket(
  nc: NatsConnection,
  name: string,
  options: Partial<KvOptions> = {},
): Promise<BucketOperation> {
  const kvm = new Kvm(nc);
  let kv = await kvm.create(name, options);
  return async (operation) => {
    const used = kv;
    try {
      return await operation(used);
    } catch (error) {
      if (!(await isGone(used))) throw error;
      // Another caller may have made it already: create() opens an existing bucket as it is.
      if (kv === used) kv = await kvm.create(name, options);
      return operation(kv);
    }
  };
}

async function isGone(kv: KV): Promise<boolean> {
  try {
    await kv.status();
    return false;
  } catch (error) {
    return error instanceof JetStreamApiError && error.code === JetStreamApiCodes.StreamNotFound;
  }
}
