// Every sip-edge's live copy of CALLCTL_PROVISIONING: a KV watch (all keys, initial values then updates)
// folded into maps; `ready` resolves once the initial values are in. Bad JSON under a key is logged and
// skipped, never fatal. Also the registrar's binding store over CALLCTL_REGISTRAR and the trunk status and
// lease buckets (kv-layout.ts).
//
// Every function takes an optional bucket name: the platform uses the defaults of kv-layout.ts; tests on a
// shared nats-server use their own buckets.
import { UnavailableError } from '@callctl/errors';
import { JetStreamApiCodes, JetStreamApiError } from '@nats-io/jetstream';
import { Kvm, type KV, type KvEntry, type KvWatchEntry } from '@nats-io/kv';
import type { NatsConnection, QueuedIterator } from '@nats-io/nats-core';
import {
  PROVISIONING_BUCKET,
  REGISTRAR_BUCKET,
  REGISTRAR_BUCKET_MAX_AGE_MS,
  TRUNK_LEASES_BUCKET,
  TRUNK_LEASE_MAX_AGE_MS,
  TRUNK_REGISTRATIONS_BUCKET,
  bindingKey,
  bindingPrefix,
  keyTokenText,
  kindOfKey,
  trunkLeaseKey,
  trunkStatusKey,
  type ProvisioningKind,
} from './kv-layout.js';
import type {
  BindingView,
  DomainView,
  ProvisioningSnapshot,
  RouteView,
  TrunkRegistrationStatusView,
  TrunkView,
  UserView,
} from './model.js';

export interface ProvisioningView {
  /** The current model (a consistent object: replaced, never mutated, on each change). */
  snapshot(): ProvisioningSnapshot;
  /** Lower-cased names of the platform's domains. */
  platformDomains(): ReadonlySet<string>;
  /** Called after each change is folded in (kind and key of what changed). */
  onChange(listener: (kind: string, key: string) => void): () => void;
  close(): Promise<void>;
}

export interface WatchProvisioningOptions {
  /** @default PROVISIONING_BUCKET */
  bucket?: string;
  /** Give up (UnavailableError) when the initial values are not in by then. @default 10000 */
  readyTimeoutMs?: number;
}

export const DEFAULT_READY_TIMEOUT_MS = 10_000;

/** Opens (creating if absent) the bucket and watches it; resolves when the initial values are in. */
export async function watchProvisioning(
  nc: NatsConnection,
  log: { warn(obj: object, msg: string): void },
  options: WatchProvisioningOptions = {},
): Promise<ProvisioningView> {
  const bucket = options.bucket ?? PROVISIONING_BUCKET;
  const kv = await new Kvm(nc).create(bucket);
  const watch = await kv.watch();
  const model = new ProvisioningModel(log);
  let readyNow: () => void = () => {};
  const ready = new Promise<void>((resolve) => (readyNow = resolve));
  let isReady = false;
  const markReady = () => {
    if (!isReady) {
      isReady = true;
      model.publish();
      readyNow();
    }
  };
  const listeners = new Set<(kind: string, key: string) => void>();

  const loop = (async () => {
    for await (const entry of watch) {
      const kind = model.fold(entry);
      // delta is what the stream held beyond this entry when it was delivered: 0 is the end of what was
      // there when the watch started (or later), so the initial values are in.
      if (!isReady) {
        if (entry.delta === 0) markReady();
        continue;
      }
      if (kind === undefined) continue;
      model.publish();
      for (const listener of listeners) {
        try {
          listener(kind, entry.key);
        } catch (error) {
          log.warn({ err: error, key: entry.key }, 'provisioning change listener failed');
        }
      }
    }
  })();
  loop.catch((error: unknown) => log.warn({ err: error, bucket }, 'provisioning watch ended'));

  // An empty bucket delivers nothing, so emptiness is asked for. Asked after the watch started: if the
  // bucket holds values now, the watch delivers them (the last with delta 0); if not, there is nothing to wait for.
  if ((await kv.status()).values === 0) markReady();
  const readyTimeoutMs = options.readyTimeoutMs ?? DEFAULT_READY_TIMEOUT_MS;
  let timer: NodeJS.Timeout | undefined;
  const timedOut = new Promise<'timeout'>(
    (resolve) => (timer = setTimeout(() => resolve('timeout'), readyTimeoutMs)),
  );
  const outcome = await Promise.race([ready, timedOut]);
  clearTimeout(timer);
  if (outcome === 'timeout') {
    watch.stop();
    throw new UnavailableError(`the ${bucket} KV watch delivered no initial values in ${readyTimeoutMs} ms`, {
      bucket,
    });
  }

  return {
    snapshot: () => model.current,
    platformDomains: () => model.domains,
    onChange(listener) {
      listeners.add(listener);
      return () => listeners.delete(listener);
    },
    async close() {
      watch.stop();
      await loop.catch(() => undefined);
    },
  };
}

const REQUIRED_FIELDS: Record<ProvisioningKind, readonly string[]> = {
  trunk: ['name', 'inboundSources', 'gateways', 'numberPatterns', 'callerId'],
  domain: ['name'],
  user: ['domain', 'username', 'ha1Md5', 'ha1Sha256'],
  route: ['name', 'pattern', 'trunk'],
};

/**
 * The maps the watch folds into, keyed as ProvisioningSnapshot says (the names come from the KV key, so a
 * delete, which carries only the key, finds what a put added). Changes are copy-on-write: a published
 * snapshot is never touched again.
 */
class ProvisioningModel {
  private trunks = new Map<string, TrunkView>();
  private domainViews = new Map<string, DomainView>();
  private users = new Map<string, UserView>();
  private routes = new Map<string, RouteView>();
  /** Maps already copied since the last publish (none while the initial values come in). */
  private readonly fresh = new Set<Map<string, unknown>>([
    this.trunks,
    this.domainViews,
    this.users,
    this.routes,
  ]);
  current: ProvisioningSnapshot = {
    trunks: new Map(),
    domains: new Map(),
    users: new Map(),
    routes: new Map(),
  };
  domains: ReadonlySet<string> = new Set();

  constructor(private readonly log: { warn(obj: object, msg: string): void }) {}

  /** Folds one entry in; the kind it changed, or undefined when it changed nothing. */
  fold(entry: KvWatchEntry): ProvisioningKind | undefined {
    const kind = kindOfKey(entry.key);
    // A kind this version does not know is a newer provisioning service's: not ours to read.
    if (kind === undefined) return undefined;
    const tokens = entry.key.split('.').slice(1).map(keyTokenText);
    const name =
      kind === 'user'
        ? `${tokens[1] ?? ''}@${(tokens[0] ?? '').toLowerCase()}`
        : kind === 'domain'
          ? tokens[0]!.toLowerCase()
          : tokens[0]!;
    const map = this.writable(kind);
    if (entry.operation !== 'PUT') {
      map.delete(name);
      return kind;
    }
    let view: unknown;
    try {
      view = entry.json();
    } catch (error) {
      this.log.warn(
        { err: error, key: entry.key, revision: entry.revision },
        'provisioning value is not JSON; skipped',
      );
      return undefined;
    }
    const missing = REQUIRED_FIELDS[kind].filter(
      (field) => typeof view !== 'object' || view === null || !(field in view),
    );
    if (missing.length > 0) {
      this.log.warn(
        { key: entry.key, revision: entry.revision, missing },
        'provisioning value lacks fields; skipped',
      );
      return undefined;
    }
    map.set(name, view);
    return kind;
  }

  /** Makes the folded state the current snapshot. */
  publish(): void {
    this.current = { trunks: this.trunks, domains: this.domainViews, users: this.users, routes: this.routes };
    this.domains = new Set(this.domainViews.keys());
    this.fresh.clear();
  }

  private writable(kind: ProvisioningKind): Map<string, unknown> {
    const copy = <T>(map: Map<string, T>): Map<string, T> => {
      if (this.fresh.has(map as Map<string, unknown>)) return map;
      const next = new Map(map);
      this.fresh.add(next as Map<string, unknown>);
      return next;
    };
    switch (kind) {
      case 'trunk':
        return (this.trunks = copy(this.trunks)) as Map<string, unknown>;
      case 'domain':
        return (this.domainViews = copy(this.domainViews)) as Map<string, unknown>;
      case 'user':
        return (this.users = copy(this.users)) as Map<string, unknown>;
      case 'route':
        return (this.routes = copy(this.routes)) as Map<string, unknown>;
    }
  }
}

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
  const kv = await new Kvm(nc).create(options.bucket ?? REGISTRAR_BUCKET, {
    ttl: REGISTRAR_BUCKET_MAX_AGE_MS,
  });

  const unexpired = async (filter: string, nowMs: number): Promise<BindingView[]> => {
    const bindings: BindingView[] = [];
    for (const entry of await latestEntries(kv, filter)) {
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
        kv.delete(entry.key, { previousSeq: entry.revision }).catch(() => undefined);
      }
    }
    return bindings;
  };

  return {
    list: (aor, nowMs) => unexpired(`${bindingPrefix(aor)}.*`, nowMs),
    all: (nowMs) => unexpired('binding.>', nowMs),
    async put(binding) {
      await kv.put(bindingKey(binding.aor, binding.contactUri), JSON.stringify(binding));
    },
    async remove(aor, contactUri) {
      await kv.delete(bindingKey(aor, contactUri));
    },
    async removeAll(aor) {
      const keys = await collect(await kv.keys(`${bindingPrefix(aor)}.*`));
      await Promise.all(keys.map((key) => kv.delete(key)));
    },
  };
}

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
  const kvm = new Kvm(nc);
  const status = await kvm.create(options.statusBucket ?? TRUNK_REGISTRATIONS_BUCKET);
  const leases = await kvm.create(options.leaseBucket ?? TRUNK_LEASES_BUCKET, {
    ttl: options.leaseMaxAgeMs ?? TRUNK_LEASE_MAX_AGE_MS,
  });

  return {
    async put(view) {
      await status.put(trunkStatusKey(view.trunk), JSON.stringify(view));
    },
    async get(trunk) {
      const entry = await status.get(trunkStatusKey(trunk));
      return entry === null || entry.operation !== 'PUT'
        ? undefined
        : entry.json<TrunkRegistrationStatusView>();
    },
    async holdLease(trunk, instance) {
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
    },
    async releaseLease(trunk, instance) {
      const key = trunkLeaseKey(trunk);
      const entry = await leases.get(key);
      if (entry === null || entry.operation !== 'PUT' || entry.string() !== instance) return;
      await leases.delete(key, { previousSeq: entry.revision }).catch((error: unknown) => {
        if (!isWrongLastSequence(error)) throw error;
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

/** JetStream's "wrong last sequence": a create or update that lost a compare-and-set. */
function isWrongLastSequence(error: unknown): boolean {
  return (
    error instanceof JetStreamApiError &&
    (error.code === JetStreamApiCodes.StreamWrongLastSequence ||
      error.code === JetStreamApiCodes.StreamWrongLastSequenceUnknown)
  );
}
