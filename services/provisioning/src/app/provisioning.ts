// The provisioning core: checks a change against the record, commits it with its audit row, then publishes
// the entity's view to NATS KV. A publish that fails leaves the record ahead of the bucket; the periodic
// reconciliation (and the one this failure schedules) brings the bucket back in line, so the caller is not
// told a committed change failed.
import { NotFoundError, ValidationError } from '@callctl/errors';
import type { Logger } from '@callctl/logging';
import {
  classifyTarget,
  routeTarget,
  type ProvisioningSnapshot,
  type RouteDecision,
  type UserView,
} from '@callctl/provisioning';
import { ha1 } from '@callctl/sip';
import type { TrunkDraft } from '../domain/trunk.js';
import type { UserDraft } from '../domain/directory.js';
import { keyOfDomain, keyOfRoute, keyOfTrunk, keyOfUser } from './published-model.js';
import type { EntityView, ModelPublisher, ProvisioningStore, Registrations } from './ports.js';

export interface ProvisioningCoreOptions {
  store: ProvisioningStore;
  publisher: ModelPublisher;
  registrations: Registrations;
  /** Seals a trunk's outbound password (secret-box with PROVISIONING_SECRETS_KEY). */
  seal: (plaintext: string) => string;
  /** Asks for a reconciliation soon (after a publish failed). */
  reconcileSoon: () => void;
  random?: () => number;
  clock?: () => number;
  log: Logger;
}

export type ProvisioningCore = ReturnType<typeof createProvisioningCore>;

export function createProvisioningCore(o: ProvisioningCoreOptions) {
  const { store, publisher, log } = o;
  const clock = o.clock ?? Date.now;

  const publish = async (key: string, view: EntityView | undefined) => {
    try {
      if (view) await publisher.putView(key, view);
      else await publisher.delete(key);
    } catch (error) {
      log.warn({ err: error, key }, 'publishing to NATS KV failed; the reconciliation will heal it');
      o.reconcileSoon();
    }
  };

  async function snapshot(): Promise<ProvisioningSnapshot> {
    const [trunks, domains, users, routes] = await Promise.all([
      store.trunks(),
      store.domains(),
      store.users(),
      store.routes(),
    ]);
    return {
      trunks: new Map(trunks.map((t) => [t.name, t])),
      domains: new Map(domains.map((d) => [d.name, d])),
      users: new Map(users.map((u) => [`${u.username}@${u.domain}`, u])),
      routes: new Map(routes.map((r) => [r.name, r])),
    };
  }

  return {
    async putTrunk(draft: TrunkDraft, actor: string) {
      const { outboundAuth, ...rest } = draft;
      let sealed: { username: string; sealedPassword: string } | undefined;
      if (outboundAuth) {
        const stored = outboundAuth.password ? undefined : (await store.trunk(draft.name))?.outboundAuth;
        if (!outboundAuth.password && !stored)
          throw new ValidationError(
            'trunk.outbound_auth.password: required (none is stored for this trunk)',
            {
              field: 'trunk.outbound_auth.password',
            },
          );
        sealed = {
          username: outboundAuth.username,
          sealedPassword: stored ? stored.sealedPassword : o.seal(outboundAuth.password),
        };
      }
      const stored = await store.putTrunk({ ...rest, ...(sealed ? { outboundAuth: sealed } : {}) }, actor);
      await publish(keyOfTrunk(stored.view), stored.view);
      return stored;
    },

    async getTrunk(name: string) {
      const view = await store.trunk(name);
      if (!view) throw new NotFoundError(`trunk ${name} does not exist`, { trunk: name });
      const status = view.registration ? await o.registrations.trunkStatus(name) : undefined;
      return { view, status };
    },

    async deleteTrunk(name: string, actor: string) {
      const gone = await store.deleteTrunk(name, actor);
      if (!gone) throw new NotFoundError(`trunk ${name} does not exist`, { trunk: name });
      await publish(keyOfTrunk(gone), undefined);
    },

    async putDomain(name: string, actor: string) {
      const stored = await store.putDomain(name, actor);
      await publish(keyOfDomain(stored.view), stored.view);
      return stored;
    },

    async deleteDomain(name: string, actor: string) {
      const gone = await store.deleteDomain(name, actor);
      if (!gone) throw new NotFoundError(`domain ${name} does not exist`, { domain: name });
      await publish(keyOfDomain(gone), undefined);
    },

    async putUser(draft: UserDraft, actor: string) {
      const { password, ...rest } = draft;
      let hashes: Pick<UserView, 'ha1Md5' | 'ha1Sha256'>;
      if (password)
        // The realm is the domain: what the registrar challenges with.
        hashes = {
          ha1Md5: ha1('MD5', draft.username, draft.domain, password),
          ha1Sha256: ha1('SHA-256', draft.username, draft.domain, password),
        };
      else {
        const existing = await store.user(draft.domain, draft.username);
        if (!existing)
          throw new ValidationError('user.password: required for a new user', { field: 'user.password' });
        hashes = { ha1Md5: existing.ha1Md5, ha1Sha256: existing.ha1Sha256 };
      }
      const stored = await store.putUser({ ...rest, ...hashes }, actor);
      await publish(keyOfUser(stored.view), stored.view);
      return stored;
    },

    async getUser(domain: string, username: string) {
      const view = await store.user(domain, username);
      if (!view)
        throw new NotFoundError(`user ${username}@${domain} does not exist`, {
          user: `${username}@${domain}`,
        });
      return view;
    },

    async deleteUser(domain: string, username: string, actor: string) {
      const gone = await store.deleteUser(domain, username, actor);
      if (!gone)
        throw new NotFoundError(`user ${username}@${domain} does not exist`, {
          user: `${username}@${domain}`,
        });
      await publish(keyOfUser(gone), undefined);
    },

    async putRoute(route: Parameters<ProvisioningStore['putRoute']>[0], actor: string) {
      const stored = await store.putRoute(route, actor);
      await publish(keyOfRoute(stored.view), stored.view);
      return stored;
    },

    async deleteRoute(name: string, actor: string) {
      const gone = await store.deleteRoute(name, actor);
      if (!gone) throw new NotFoundError(`route ${name} does not exist`, { route: name });
      await publish(keyOfRoute(gone), undefined);
    },

    /** What a target routes to now, from the record (what every sip-edge decides once KV has it). */
    async resolve(target: string): Promise<Exclude<RouteDecision, { kind: 'none' }>> {
      const model = await snapshot();
      const classified = classifyTarget(target, new Set(model.domains.keys()));
      const decision = routeTarget(
        model,
        classified,
        'sip:anonymous@anonymous.invalid',
        o.random ?? Math.random,
      );
      if (decision.kind === 'none')
        throw new NotFoundError(`no route for ${target}: ${decision.reason}`, { target });
      return decision;
    },

    bindings: (aor: string) => o.registrations.bindings(aor, clock()),
  };
}
