// The published model in the NATS KV bucket CALLCTL_PROVISIONING (libs/provisioning kv-layout.ts): a put
// or delete per change, and the bucket's whole content for the reconciliation. Until libs/provisioning's
// kv-view.ts offers a writer, the service writes with @nats-io/kv itself.
import { jetstream, JetStreamApiCodes, JetStreamApiError } from '@nats-io/jetstream';
import { Kvm, type KV } from '@nats-io/kv';
import type { NatsConnection } from '@nats-io/nats-core';
import { PROVISIONING_BUCKET } from '@callctl/provisioning';
import type { ModelPublisher, PublishedEntry } from '../../app/ports.js';

const decoder = new TextDecoder();
const PUT_VIEW_ATTEMPTS = 3;

/** A published view's updatedAtMs (0 when unreadable: any view is newer than garbage). */
function updatedAtOf(json: string): number {
  try {
    const value = (JSON.parse(json) as { updatedAtMs?: unknown }).updatedAtMs;
    return typeof value === 'number' ? value : 0;
  } catch {
    return 0;
  }
}

export interface KvModelPublisherOptions {
  nc: NatsConnection;
  /** Deadline of one KV request. */
  timeoutMs: number;
}

/** Opens (creating when absent: the first writer or watcher makes it) the bucket. */
export async function openKvModelPublisher(o: KvModelPublisherOptions): Promise<ModelPublisher> {
  const kv: KV = await new Kvm(jetstream(o.nc, { timeout: o.timeoutMs })).create(PROVISIONING_BUCKET, {
    history: 1,
  });
  return {
    async putView(key, view) {
      const json = JSON.stringify(view);
      for (let attempt = 1; ; attempt++) {
        const entry = await kv.get(key);
        const current = entry?.operation === 'PUT' ? entry : undefined;
        if (current && updatedAtOf(decoder.decode(current.value)) > view.updatedAtMs) return;
        if (
          await conditional(() => (current ? kv.update(key, json, current.revision) : kv.create(key, json)))
        )
          return;
        // Another writer got in between: look again (bounded; the reconciliation settles the rest).
        if (attempt >= PUT_VIEW_ATTEMPTS) throw new Error(`KV key ${key} kept changing under the publish`);
      }
    },
    async delete(key) {
      await kv.delete(key);
    },
    async entries() {
      const entries = new Map<string, PublishedEntry>();
      const keys: string[] = [];
      for await (const key of await kv.keys()) keys.push(key);
      for (const key of keys) {
        const entry = await kv.get(key);
        // A deleted key's tombstone is no value.
        if (entry && entry.operation === 'PUT')
          entries.set(key, { json: decoder.decode(entry.value), revision: entry.revision });
      }
      return entries;
    },
    async putIfUnchanged(key, json, revision) {
      return conditional(() =>
        revision === undefined ? kv.create(key, json) : kv.update(key, json, revision),
      );
    },
    async deleteIfUnchanged(key, revision) {
      return conditional(() => kv.delete(key, { previousSeq: revision }));
    },
  };
}

/** Runs a conditional write: false when it lost the compare-and-set (the key moved on), else throws. */
async function conditional(write: () => Promise<unknown>): Promise<boolean> {
  try {
    await write();
    return true;
  } catch (error) {
    if (
      error instanceof JetStreamApiError &&
      (error.code === JetStreamApiCodes.StreamWrongLastSequence ||
        error.code === JetStreamApiCodes.StreamWrongLastSequenceUnknown)
    )
      return false;
    throw error;
  }
}
