// The fold of CALLCTL_PROVISIONING entries into the maps of a ProvisioningSnapshot (pure: no NATS, the
// watch in kv-view.ts feeds it). Keys are as ProvisioningSnapshot says, taken from the KV key, so a delete,
// which carries only the key, finds what a put added. Changes are copy-on-write: a published snapshot is
// never touched again.
import { keyTokenText, kindOfKey, type ProvisioningKind } from './kv-layout.js';
import type { DomainView, ProvisioningSnapshot, RouteView, TrunkView, UserView } from './model.js';

/** What the fold reads of a KV entry (a KvWatchEntry has it). */
export interface ProvisioningEntry {
  key: string;
  operation: 'PUT' | 'DEL' | 'PURGE';
  revision: number;
  json<T>(): T;
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
export class ProvisioningModel {
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
  fold(entry: ProvisioningEntry): ProvisioningKind | undefined {
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
