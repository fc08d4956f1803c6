// What the provisioning core needs from the world: the record (PostgreSQL), the published model (NATS KV),
// the registrar's bindings and trunk status (NATS KV, written by sip-edge) and the live instances.
import type {
  BindingView,
  DomainView,
  ProvisioningKind,
  RouteView,
  TrunkRegistrationStatusView,
  TrunkView,
  UserView,
} from '@callctl/provisioning';

export type EntityView = TrunkView | DomainView | UserView | RouteView;

export interface AuditRecord {
  id: number;
  at: Date;
  actor: string;
  action: 'put' | 'delete';
  kind: ProvisioningKind;
  key: string;
  /** The audited views (auditedView): no secret, no hash. */
  before?: object | undefined;
  after?: object | undefined;
}

export interface AuditFilter {
  kind?: string;
  key?: string;
  limit: number;
  beforeId?: number;
}

/** The outcome of a put: the view as stored (its updatedAtMs the commit's) and the one it replaced. */
export interface Stored<V> {
  view: V;
  before: V | undefined;
}

/**
 * The record. Each put and delete writes the entity and its audit row in one transaction; references are
 * kept (a route's trunk, a user's domain): a change that would break one throws IllegalStateError.
 */
export interface ProvisioningStore {
  trunk(name: string): Promise<TrunkView | undefined>;
  trunks(): Promise<TrunkView[]>;
  putTrunk(view: Omit<TrunkView, 'updatedAtMs'>, actor: string): Promise<Stored<TrunkView>>;
  deleteTrunk(name: string, actor: string): Promise<TrunkView | undefined>;

  domains(): Promise<DomainView[]>;
  putDomain(name: string, actor: string): Promise<Stored<DomainView>>;
  deleteDomain(name: string, actor: string): Promise<DomainView | undefined>;

  user(domain: string, username: string): Promise<UserView | undefined>;
  /** Of one domain, or of all when undefined. */
  users(domain?: string): Promise<UserView[]>;
  putUser(view: Omit<UserView, 'updatedAtMs'>, actor: string): Promise<Stored<UserView>>;
  deleteUser(domain: string, username: string, actor: string): Promise<UserView | undefined>;

  routes(): Promise<RouteView[]>;
  putRoute(view: Omit<RouteView, 'updatedAtMs'>, actor: string): Promise<Stored<RouteView>>;
  deleteRoute(name: string, actor: string): Promise<RouteView | undefined>;

  audit(filter: AuditFilter): Promise<AuditRecord[]>;
}

/** A published value and the KV revision it was read at. */
export interface PublishedEntry {
  json: string;
  revision: number;
}

/** The published model (CALLCTL_PROVISIONING): one JSON value per kv-layout.ts key. */
export interface ModelPublisher {
  /**
   * Puts a view unless the bucket already holds a newer one of the key (a larger updatedAtMs: another
   * replica committed a later change and published first).
   */
  putView(key: string, view: { updatedAtMs: number }): Promise<void>;
  delete(key: string): Promise<void>;
  /** Every key of a known kind with its JSON text and revision (reconciliation). */
  entries(): Promise<Map<string, PublishedEntry>>;
  /**
   * Writes only if the key is still at `revision` (undefined: still absent); false when another writer got
   * there first (a replica's publish after its commit, which is newer than what the reconciliation read).
   */
  putIfUnchanged(key: string, json: string, revision: number | undefined): Promise<boolean>;
  deleteIfUnchanged(key: string, revision: number): Promise<boolean>;
}

export interface Registrations {
  bindings(aor: string, nowMs: number): Promise<BindingView[]>;
  trunkStatus(trunk: string): Promise<TrunkRegistrationStatusView | undefined>;
}

/** A live instance's advertised resources (libs/bus instance registry). */
export interface ResourceSource {
  signalling(): Array<{ instance: string; transport: string; host: string; port: number }>;
  media(): Array<{ instance: string; address: string; portMin: number; portMax: number }>;
}
