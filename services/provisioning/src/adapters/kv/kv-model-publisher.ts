// The published model in the NATS KV bucket CALLCTL_PROVISIONING (libs/provisioning kv-layout.ts): a put
// or delete per change, and the bucket's whole content for the reconciliation. Until libs/provisioning's
// kv-view.ts offers a writer, the service writes with @nats-io/kv itself.
import { jetstream, JetStreamApiCodes, JetStreamApiError } from '@nats-io/jetstream';
import { Kvm, type KV } from '@nats-io/kv';
import type { NatsConnection } from '@nats-io/nats-core';
import { PROVISIONING_BUCKET } from '@callctl/provisioning';
import type { ModelPublisher, PublishedEntry } from '../../app/ports.js';

const decoder = new TextDecoder();

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
    async put(key, json) {
      await kv.put(key, json);
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
