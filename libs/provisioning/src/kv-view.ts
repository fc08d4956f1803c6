// Every sip-edge's live copy of CALLCTL_PROVISIONING: a KV watch (all keys, initial values then updates)
// folded into maps; `ready` resolves once the initial values are in. Bad JSON under a key is logged and
// skipped, never fatal. Also the registrar's binding store over CALLCTL_REGISTRAR and the trunk status and
// lease buckets (kv-layout.ts), in their own modules and re-exported here.
//
// A watch follows one stream. When NATS loses the bucket (a restart without its JetStream store, a bucket
// deleted and made again) the watch would go quiet and the view stale for good, while the provisioning
// service's reconcile fills the new bucket. So the view checks the stream now and then and, when it is not
// the one watched, watches again from scratch and swaps the model in whole.
//
// Every opener takes an optional bucket name: the platform uses the defaults of kv-layout.ts; tests on a
// shared nats-server use their own buckets.
import { UnavailableError } from '@callctl/errors';
import { Kvm, type KV } from '@nats-io/kv';
import type { NatsConnection } from '@nats-io/nats-core';
import { PROVISIONING_BUCKET, type ProvisioningKind } from './kv-layout.js';
import type { ProvisioningSnapshot } from './model.js';
import { ProvisioningModel } from './provisioning-model.js';

export { openBindingStore, type BindingStore } from './binding-store.js';
export {
  openTrunkStatusStore,
  type TrunkStatusStore,
  type TrunkStatusStoreOptions,
} from './trunk-status-store.js';

export interface ProvisioningView {
  /** The current model (a consistent object: replaced, never mutated, on each change). */
  snapshot(): ProvisioningSnapshot;
  /** Lower-cased names of the platform's domains. */
  platformDomains(): ReadonlySet<string>;
  /**
   * Called after each change is folded in (kind and key of what changed). After a resync (the bucket was
   * lost and watched again) it is called once per kind with the key `*`.
   */
  onChange(listener: (kind: string, key: string) => void): () => void;
  close(): Promise<void>;
}

export interface WatchProvisioningOptions {
  /** @default PROVISIONING_BUCKET */
  bucket?: string;
  /** Give up (UnavailableError) when the initial values are not in by then. @default 10000 */
  readyTimeoutMs?: number;
  /** How often the watched stream is checked to still be the bucket's. @default 5000 */
  streamCheckIntervalMs?: number;
}

export const DEFAULT_READY_TIMEOUT_MS = 10_000;
export const DEFAULT_STREAM_CHECK_INTERVAL_MS = 5_000;
const KINDS: readonly ProvisioningKind[] = ['trunk', 'domain', 'user', 'route'];

type Log = { warn(obj: object, msg: string): void };

/** Opens (creating if absent) the bucket and watches it; resolves when the initial values are in. */
export async function watchProvisioning(
  nc: NatsConnection,
  log: Log,
  options: WatchProvisioningOptions = {},
): Promise<ProvisioningView> {
  const bucket = options.bucket ?? PROVISIONING_BUCKET;
  const readyTimeoutMs = options.readyTimeoutMs ?? DEFAULT_READY_TIMEOUT_MS;
  const kvm = new Kvm(nc);
  const listeners = new Set<(kind: string, key: string) => void>();
  const notify = (kind: string, key: string) => {
    for (const listener of listeners) {
      try {
        listener(kind, key);
      } catch (error) {
        log.warn({ err: error, kind, key }, 'provisioning change listener failed');
      }
    }
  };

  // Only the current watch speaks to listeners: a resync's new watch is silent until swapped in (and no
  // listener exists before this function returns).
  let speaking: LiveWatch | undefined;
  const fromLive = (from: LiveWatch, kind: string, key: string) => {
    if (from === speaking) notify(kind, key);
  };
  let current = await openWatch(kvm, bucket, log, readyTimeoutMs, fromLive);
  speaking = current;

  let checking = false;
  let closed = false;
  const checkStream = async () => {
    if (checking || closed) return;
    checking = true;
    try {
      if (!current.ended() && !(await current.streamReplaced())) return;
      log.warn(
        { bucket, lastRevision: current.lastRevision() },
        'provisioning bucket lost or replaced; resyncing',
      );
      const next = await openWatch(kvm, bucket, log, readyTimeoutMs, fromLive);
      if (closed) {
        await next.stop();
        return;
      }
      const previous = current;
      speaking = current = next;
      await previous.stop();
      for (const kind of KINDS) notify(kind, '*');
    } catch (error) {
      // NATS down or the bucket gone for now: the view keeps what it had and the next check tries again.
      log.warn({ err: error, bucket }, 'provisioning stream check failed');
    } finally {
      checking = false;
    }
  };
  const timer = setInterval(
    () => void checkStream(),
    options.streamCheckIntervalMs ?? DEFAULT_STREAM_CHECK_INTERVAL_MS,
  );
  timer.unref();

  return {
    snapshot: () => current.model.current,
    platformDomains: () => current.model.domains,
    onChange(listener) {
      listeners.add(listener);
      return () => listeners.delete(listener);
    },
    async close() {
      closed = true;
      clearInterval(timer);
      await current.stop();
    },
  };
}

interface LiveWatch {
  model: ProvisioningModel;
  /** The watch's iterator ended without stop(): the watch is dead. */
  ended(): boolean;
  /** The bucket's stream is not the one this watch started on (made again, or behind what was seen). */
  streamReplaced(): Promise<boolean>;
  lastRevision(): number;
  stop(): Promise<void>;
}

/** A watch of the whole bucket, resolved once its initial values are folded into its own model. */
async function openWatch(
  kvm: Kvm,
  bucket: string,
  log: Log,
  readyTimeoutMs: number,
  onChange: (from: LiveWatch, kind: ProvisioningKind, key: string) => void,
): Promise<LiveWatch> {
  const kv = await kvm.create(bucket);
  const watch = await kv.watch();
  const model = new ProvisioningModel(log);
  let lastRevision = 0;
  let stopped = false;
  let ended = false;
  let readyNow = () => {};
  const ready = new Promise<void>((resolve) => (readyNow = resolve));
  let isReady = false;
  const markReady = () => {
    if (isReady) return;
    isReady = true;
    model.publish();
    readyNow();
  };

  let streamCreated = '';
  const self: LiveWatch = {
    model,
    ended: () => ended,
    lastRevision: () => lastRevision,
    streamReplaced: () => streamReplaced(kv, streamCreated, lastRevision),
    async stop() {
      stopped = true;
      watch.stop();
      await loop;
    },
  };

  const loop = (async () => {
    for await (const entry of watch) {
      lastRevision = Math.max(lastRevision, entry.revision);
      const kind = model.fold(entry);
      // delta is what the stream held beyond this entry when it was delivered: 0 is the end of what was
      // there when the watch started (or later), so the initial values are in.
      if (!isReady) {
        if (entry.delta === 0) markReady();
        continue;
      }
      if (kind === undefined) continue;
      model.publish();
      onChange(self, kind, entry.key);
    }
  })().then(
    () => {
      ended = !stopped;
      if (!stopped) log.warn({ bucket }, 'provisioning watch ended');
    },
    (error: unknown) => {
      ended = !stopped;
      log.warn({ err: error, bucket }, 'provisioning watch failed');
    },
  );

  // An empty bucket delivers nothing, so emptiness is asked for. Asked after the watch started: if the
  // bucket holds values now, the watch delivers them (the last with delta 0); if not, there is nothing
  // to wait for. The stream's creation time, read here too, tells a bucket made again later.
  try {
    const status = await kv.status();
    streamCreated = status.streamInfo.created;
    if (status.values === 0) markReady();
  } catch (error) {
    await self.stop();
    throw error;
  }
  if (!(await readyWithin(ready, readyTimeoutMs))) {
    await self.stop();
    throw new UnavailableError(`the ${bucket} KV watch delivered no initial values in ${readyTimeoutMs} ms`, {
      bucket,
    });
  }
  return self;
}

async function streamReplaced(kv: KV, streamCreated: string, lastRevision: number): Promise<boolean> {
  const info = (await kv.status()).streamInfo;
  return info.created !== streamCreated || info.state.last_seq < lastRevision;
}

async function readyWithin(ready: Promise<void>, timeoutMs: number): Promise<boolean> {
  let timer: NodeJS.Timeout | undefined;
  const timedOut = new Promise<false>((resolve) => (timer = setTimeout(() => resolve(false), timeoutMs)));
  try {
    return await Promise.race([ready.then(() => true as const), timedOut]);
  } finally {
    clearTimeout(timer);
  }
}
