// The record in PostgreSQL through Prisma (libs/db schema: provisioning_*). Each put and delete runs in one
// transaction with its audit row, so the audit never says a change happened that did not, nor misses one.
// References are checked inside the transaction for a clear refusal; the foreign keys (ON DELETE RESTRICT)
// hold them against a race.
import { IllegalStateError } from '@callctl/errors';
import { Prisma, type PrismaClient } from '@callctl/db';
import type {
  CallerIdView,
  DomainView,
  GatewayView,
  ProvisioningKind,
  RouteView,
  TrunkRegistrationView,
  TrunkView,
  UserView,
} from '@callctl/provisioning';
import type { AuditRecord, EntityView, ProvisioningStore, Stored } from '../../app/ports.js';
import { auditedView } from '../../domain/views.js';

type Tx = Prisma.TransactionClient;
type TrunkRow = Awaited<ReturnType<PrismaClient['provisioningTrunk']['findFirstOrThrow']>>;
type UserRow = Awaited<ReturnType<PrismaClient['provisioningUser']['findFirstOrThrow']>>;
type DomainRow = Awaited<ReturnType<PrismaClient['provisioningDomain']['findFirstOrThrow']>>;
type RouteRow = Awaited<ReturnType<PrismaClient['provisioningRoute']['findFirstOrThrow']>>;

// Views are built field by field in one order, so the JSON published for one row is always the same text
// (the reconciliation compares texts).
const trunkView = (r: TrunkRow): TrunkView => ({
  name: r.name,
  inboundSources: r.inboundSources,
  gateways: r.gateways as unknown as GatewayView[],
  ...(r.authUsername && r.authPasswordSealed
    ? { outboundAuth: { username: r.authUsername, sealedPassword: r.authPasswordSealed } }
    : {}),
  ...(r.registration ? { registration: r.registration as unknown as TrunkRegistrationView } : {}),
  numberPatterns: r.numberPatterns,
  callerId: r.callerId as unknown as CallerIdView,
  updatedAtMs: r.updatedAt.getTime(),
});
const domainView = (r: DomainRow): DomainView => ({ name: r.name, updatedAtMs: r.updatedAt.getTime() });
const userView = (r: UserRow): UserView => ({
  domain: r.domain,
  username: r.username,
  displayName: r.displayName,
  ha1Md5: r.ha1Md5,
  ha1Sha256: r.ha1Sha256,
  allowedCodecs: r.allowedCodecs,
  updatedAtMs: r.updatedAt.getTime(),
});
const routeView = (r: RouteRow): RouteView => ({
  name: r.name,
  pattern: r.pattern,
  trunk: r.trunk,
  priority: r.priority,
  updatedAtMs: r.updatedAt.getTime(),
});

// JSON columns get plain JSON (key order fixed by the objects built here).
const json = (value: object): Prisma.InputJsonValue =>
  JSON.parse(JSON.stringify(value)) as Prisma.InputJsonValue;

interface AuditWrite {
  actor: string;
  action: 'put' | 'delete';
  kind: ProvisioningKind;
  key: string;
  before: EntityView | undefined;
  after: EntityView | undefined;
}

const audit = (tx: Tx, a: AuditWrite) =>
  tx.provisioningAudit.create({
    data: {
      actor: a.actor,
      action: a.action,
      kind: a.kind,
      key: a.key,
      before: a.before ? json(auditedView(a.before)) : Prisma.DbNull,
      after: a.after ? json(auditedView(a.after)) : Prisma.DbNull,
    },
  });

export function prismaProvisioningStore(db: PrismaClient): ProvisioningStore {
  const inTx = <T>(run: (tx: Tx) => Promise<T>) => db.$transaction(run);

  return {
    async trunk(name) {
      const row = await db.provisioningTrunk.findUnique({ where: { name } });
      return row ? trunkView(row) : undefined;
    },
    async trunks() {
      return (await db.provisioningTrunk.findMany({ orderBy: { name: 'asc' } })).map(trunkView);
    },
    putTrunk: (view, actor) =>
      inTx(async (tx): Promise<Stored<TrunkView>> => {
        const previous = await tx.provisioningTrunk.findUnique({ where: { name: view.name } });
        const now = new Date();
        const data = {
          inboundSources: view.inboundSources,
          gateways: json(view.gateways),
          authUsername: view.outboundAuth?.username ?? null,
          authPasswordSealed: view.outboundAuth?.sealedPassword ?? null,
          registration: view.registration ? json(view.registration) : Prisma.DbNull,
          numberPatterns: view.numberPatterns,
          callerId: json(view.callerId),
          updatedAt: now,
        };
        const row = await tx.provisioningTrunk.upsert({
          where: { name: view.name },
          create: { name: view.name, createdAt: now, ...data },
          update: data,
        });
        const stored = { view: trunkView(row), before: previous ? trunkView(previous) : undefined };
        await audit(tx, { actor, action: 'put', kind: 'trunk', key: view.name, ...afterOf(stored) });
        return stored;
      }),
    deleteTrunk: (name, actor) =>
      inTx(async (tx) => {
        const routes = await tx.provisioningRoute.findMany({
          where: { trunk: name },
          select: { name: true },
        });
        if (routes.length > 0)
          throw new IllegalStateError(
            `trunk ${name} is used by route(s) ${routes.map((r) => r.name).join(', ')}: delete them first`,
            { trunk: name },
          );
        const previous = await tx.provisioningTrunk.findUnique({ where: { name } });
        if (!previous) return undefined;
        await tx.provisioningTrunk.delete({ where: { name } });
        const before = trunkView(previous);
        await audit(tx, { actor, action: 'delete', kind: 'trunk', key: name, before, after: undefined });
        return before;
      }),

    async domains() {
      return (await db.provisioningDomain.findMany({ orderBy: { name: 'asc' } })).map(domainView);
    },
    putDomain: (name, actor) =>
      inTx(async (tx): Promise<Stored<DomainView>> => {
        const previous = await tx.provisioningDomain.findUnique({ where: { name } });
        const now = new Date();
        const row = await tx.provisioningDomain.upsert({
          where: { name },
          create: { name, createdAt: now, updatedAt: now },
          update: { updatedAt: now },
        });
        const stored = { view: domainView(row), before: previous ? domainView(previous) : undefined };
        await audit(tx, { actor, action: 'put', kind: 'domain', key: name, ...afterOf(stored) });
        return stored;
      }),
    deleteDomain: (name, actor) =>
      inTx(async (tx) => {
        const users = await tx.provisioningUser.count({ where: { domain: name } });
        if (users > 0)
          throw new IllegalStateError(`domain ${name} still has ${users} user(s): delete them first`, {
            domain: name,
          });
        const previous = await tx.provisioningDomain.findUnique({ where: { name } });
        if (!previous) return undefined;
        await tx.provisioningDomain.delete({ where: { name } });
        const before = domainView(previous);
        await audit(tx, { actor, action: 'delete', kind: 'domain', key: name, before, after: undefined });
        return before;
      }),

    async user(domain, username) {
      const row = await db.provisioningUser.findUnique({ where: { domain_username: { domain, username } } });
      return row ? userView(row) : undefined;
    },
    async users(domain) {
      const rows = await db.provisioningUser.findMany({
        ...(domain !== undefined ? { where: { domain } } : {}),
        orderBy: [{ domain: 'asc' }, { username: 'asc' }],
      });
      return rows.map(userView);
    },
    putUser: (view, actor) =>
      inTx(async (tx): Promise<Stored<UserView>> => {
        const domain = await tx.provisioningDomain.findUnique({ where: { name: view.domain } });
        if (!domain)
          throw new IllegalStateError(`domain ${view.domain} does not exist: put it first`, {
            domain: view.domain,
          });
        const key = { domain: view.domain, username: view.username };
        const previous = await tx.provisioningUser.findUnique({ where: { domain_username: key } });
        const now = new Date();
        const data = {
          displayName: view.displayName,
          ha1Md5: view.ha1Md5,
          ha1Sha256: view.ha1Sha256,
          allowedCodecs: view.allowedCodecs,
          updatedAt: now,
        };
        const row = await tx.provisioningUser.upsert({
          where: { domain_username: key },
          create: { ...key, createdAt: now, ...data },
          update: data,
        });
        const stored = { view: userView(row), before: previous ? userView(previous) : undefined };
        const auditKey = `${view.username}@${view.domain}`;
        await audit(tx, { actor, action: 'put', kind: 'user', key: auditKey, ...afterOf(stored) });
        return stored;
      }),
    deleteUser: (domain, username, actor) =>
      inTx(async (tx) => {
        const key = { domain, username };
        const previous = await tx.provisioningUser.findUnique({ where: { domain_username: key } });
        if (!previous) return undefined;
        await tx.provisioningUser.delete({ where: { domain_username: key } });
        const before = userView(previous);
        await audit(tx, {
          actor,
          action: 'delete',
          kind: 'user',
          key: `${username}@${domain}`,
          before,
          after: undefined,
        });
        return before;
      }),

    async routes() {
      return (await db.provisioningRoute.findMany({ orderBy: { name: 'asc' } })).map(routeView);
    },
    putRoute: (view, actor) =>
      inTx(async (tx): Promise<Stored<RouteView>> => {
        const trunk = await tx.provisioningTrunk.findUnique({ where: { name: view.trunk } });
        if (!trunk)
          throw new IllegalStateError(`trunk ${view.trunk} does not exist: put it first`, {
            trunk: view.trunk,
          });
        if ((trunk.gateways as unknown as GatewayView[]).length === 0)
          throw new IllegalStateError(
            `trunk ${view.trunk} has no gateways: numbers cannot go out through it`,
            {
              trunk: view.trunk,
            },
          );
        const previous = await tx.provisioningRoute.findUnique({ where: { name: view.name } });
        const now = new Date();
        const data = { pattern: view.pattern, trunk: view.trunk, priority: view.priority, updatedAt: now };
        const row = await tx.provisioningRoute.upsert({
          where: { name: view.name },
          create: { name: view.name, createdAt: now, ...data },
          update: data,
        });
        const stored = { view: routeView(row), before: previous ? routeView(previous) : undefined };
        await audit(tx, { actor, action: 'put', kind: 'route', key: view.name, ...afterOf(stored) });
        return stored;
      }),
    deleteRoute: (name, actor) =>
      inTx(async (tx) => {
        const previous = await tx.provisioningRoute.findUnique({ where: { name } });
        if (!previous) return undefined;
        await tx.provisioningRoute.delete({ where: { name } });
        const before = routeView(previous);
        await audit(tx, { actor, action: 'delete', kind: 'route', key: name, before, after: undefined });
        return before;
      }),

    async audit(filter) {
      const rows = await db.provisioningAudit.findMany({
        where: {
          ...(filter.kind ? { kind: filter.kind } : {}),
          ...(filter.key ? { key: filter.key } : {}),
          ...(filter.beforeId ? { id: { lt: BigInt(filter.beforeId) } } : {}),
        },
        orderBy: { id: 'desc' },
        take: filter.limit,
      });
      return rows.map((r): AuditRecord => ({
        id: Number(r.id),
        at: r.at,
        actor: r.actor,
        action: r.action as AuditRecord['action'],
        kind: r.kind as AuditRecord['kind'],
        key: r.key,
        before: (r.before as object | null) ?? undefined,
        after: (r.after as object | null) ?? undefined,
      }));
    },
  };
}

const afterOf = <V extends EntityView>(stored: Stored<V>) => ({ before: stored.before, after: stored.view });
