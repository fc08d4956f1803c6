// The registrar's location table in NATS KV (CALLCTL_REGISTRAR): one key per contact of an AOR, so every
// sip-edge instance reaches every device, and a binding lost with NATS comes back at the device's next
// REGISTER. Written by the instance that accepted the REGISTER; the RFC 3261 10.3 checks (Call-ID/CSeq,
// Expires) are the registrar's, done on what list() returns.
import type { KV, KvEntry } from '@nats-io/kv';
import type { NatsConnection, QueuedIterator } from '@nats-io/nats-core';
import { REGISTRAR_BUCKET, REGISTRAR_BUCKET_MAX_AGE_MS, bindingKey, bindingPrefix } from './kv-layout.js';
import { openHealingBucket } from './kv-bucket.js';
import type { BindingView } from './model.js';

export interface BindingStore {
  /** The unexpired bindings of an AOR (expired ones are skipped, and deleted in the background). */
  list(aor: string, nowMs: number): Promise<BindingView[]>;
  /** Every unexpired binding (ListRegistrations, tests). */
  all(nowMs: number): Promise<BindingView[]>;
  put(binding: BindingView): Promise<void>;
  remove(aor: string, contactUri: string): Promise<void>;
  removeAll(aor: string): Promise<void>;
}

/** Opens (creating if absent, with REGISTRAR_BUCKET_MAX_AGE_MS) CALLCTL_REGISTRAR. */
export async function openBindingStore(
  nc: NatsConnection,
  options: { bucket?: string } = {},
): Promise<BindingStore> {
  const inBucket = await openHealingBucket(nc, options.bucket ?? REGISTRAR_BUCKET, {
    ttl: REGISTRAR_BUCKET_MAX_AGE_MS,
  });

  const unexpired = async (filter: string, nowMs: number): Promise<BindingView[]> => {
    const bindings: BindingView[] = [];
    for (const entry of await inBucket((kv) => latestEntries(kv, filter))) {
      let binding: BindingView;
      try {
        binding = entry.json<BindingView>();
      } catch {
        continue;
      }
      if (binding.expiresAtMs > nowMs) {
        bindings.push(binding);
      } else {
        // Only this revision: a device that re-registered meanwhile keeps its fresh binding.
        inBucket((kv) => kv.delete(entry.key, { previousSeq: entry.revision })).catch(() => undefined);
      }
    }
    return bindings;
  };

  return {
    list: (aor, nowMs) => unexpired(`${bindingPrefix(aor)}.*`, nowMs),
    all: (nowMs) => unexpired('binding.>', nowMs),
    async put(binding) {
      await inBucket((kv) => kv.put(bindingKey(binding.aor, binding.contactUri), JSON.stringify(binding)));
    },
    async remove(aor, contactUri) {
      await inBucket((kv) => kv.delete(bindingKey(aor, contactUri)));
    },
    async removeAll(aor) {
      await inBucket(async (kv) => {
        const keys = await collect(await kv.keys(`${bindingPrefix(aor)}.*`));
        await Promise.all(keys.map((key) => kv.delete(key)));
      });
    },
  };
}

/** The latest PUT entry of every key matching the filter (keys then gets: a KV has no multi-get). */
async function latestEntries(kv: KV, filter: string): Promise<KvEntry[]> {
  const keys = await collect(await kv.keys(filter));
  const entries = await Promise.all(keys.map((key) => kv.get(key)));
  return entries.filter((entry): entry is KvEntry => entry !== null && entry.operation === 'PUT');
}

async function collect<T>(iterator: QueuedIterator<T>): Promise<T[]> {
  const out: T[] = [];
  for await (const item of iterator) out.push(item);
  return out;
}
