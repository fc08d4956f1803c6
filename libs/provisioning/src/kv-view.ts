// Every sip-edge's live copy of CALLCTL_PROVISIONING: a KV watch (all keys, initial values then updates)
// folded into maps; `ready` resolves once the initial values are in. Bad JSON under a key is logged and
// skipped, never fatal. Also the registrar's binding store over CALLCTL_REGISTRAR and the trunk status and
// lease buckets (kv-layout.ts).
// CONTRACT: signatures fixed; implementation by the libs helper.
import type { NatsConnection } from '@nats-io/nats-core';
import type { BindingView, ProvisioningSnapshot, TrunkRegistrationStatusView } from './model.js';

export interface ProvisioningView {
  /** The current model (a consistent object: replaced, never mutated, on each change). */
  snapshot(): ProvisioningSnapshot;
  /** Lower-cased names of the platform's domains. */
  platformDomains(): ReadonlySet<string>;
  /** Called after each change is folded in (kind and key of what changed). */
  onChange(listener: (kind: string, key: string) => void): () => void;
  close(): Promise<void>;
}

/** Opens (creating if absent) the bucket and watches it; resolves when the initial values are in. */
export async function watchProvisioning(
  nc: NatsConnection,
  log: { warn(obj: object, msg: string): void },
): Promise<ProvisioningView> {
  throw new Error(`not implemented: watchProvisioning(${String(nc)}, ${String(log)})`);
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
export async function openBindingStore(nc: NatsConnection): Promise<BindingStore> {
  throw new Error(`not implemented: openBindingStore(${String(nc)})`);
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

export async function openTrunkStatusStore(nc: NatsConnection): Promise<TrunkStatusStore> {
  throw new Error(`not implemented: openTrunkStatusStore(${String(nc)})`);
}
