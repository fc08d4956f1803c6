// Prisma CLI configuration (loaded by the CLI itself, not part of the tsc build).
//
// Prisma 6.19 can migrate without its native schema-engine binary (which cannot be downloaded here)
// through the wasm engine (`engine: 'js'`) and a driver adapter. Two workarounds make that adapter
// usable for migrations:
// 1. catalog columns of type "char" (oid 18) and "name" (oid 19) are rejected by the adapter
//    (prisma/orm#27403), so they are reported as text (oid 25);
// 2. the adapter's connectToShadowDb() ignores `database` with a connection string and drops the shadow
//    database before closing its pool, so the shadow database is created and dropped here;
// 3. the adapter's executeScript() splits a migration on every ";" (inside function bodies, strings and
//    comments too), which breaks any plpgsql function. The script is sent whole instead, as one simple
//    query, like the native engine does: PostgreSQL splits it and runs it as one implicit transaction.
import { randomUUID } from 'node:crypto';
import pg from 'pg';
import { defineConfig } from 'prisma/config';
import { PrismaPg } from '@prisma/adapter-pg';

const CHAR_OID = 18;
const NAME_OID = 19;
const TEXT_OID = 25;

class CatalogSafePool extends pg.Pool {
  override async query(...args: unknown[]): Promise<never> {
    const result = await (super.query as (...a: unknown[]) => Promise<{ fields?: { dataTypeID: number }[] }>)(
      ...args,
    );
    for (const field of result?.fields ?? []) {
      if (field.dataTypeID === CHAR_OID || field.dataTypeID === NAME_OID) field.dataTypeID = TEXT_OID;
    }
    return result as never;
  }
}

function poolConfig(url: string | undefined): pg.PoolConfig {
  if (!url) throw new Error('DATABASE_URL is required (run `source deploy/local/env.sh` or `make migrate`)');
  const u = new URL(url);
  return {
    host: u.hostname,
    port: Number(u.port || 5432),
    user: decodeURIComponent(u.username),
    password: u.password ? decodeURIComponent(u.password) : undefined,
    database: u.pathname.slice(1),
    // Idle pooled connections must not keep the CLI alive for pg-pool's 10 s idle timeout.
    allowExitOnIdle: true,
  };
}

class MigratePg extends PrismaPg {
  private readonly pool: pg.Pool;

  constructor(private readonly config: pg.PoolConfig) {
    const pool = new CatalogSafePool(config) as pg.Pool;
    super(pool, { disposeExternalPool: true });
    this.pool = pool;
  }

  override async connect() {
    const adapter = await super.connect();
    const raise = (adapter as unknown as { onError(error: unknown): never }).onError.bind(adapter);
    adapter.executeScript = async (script: string) => {
      await this.pool.query(script).catch(raise);
    };
    return adapter;
  }

  override async connectToShadowDb() {
    const database = `prisma_shadow_${randomUUID().replace(/-/g, '')}`;
    const admin = new pg.Client(this.config);
    await admin.connect();
    await admin.query(`CREATE DATABASE "${database}"`);
    const adapter = await new MigratePg({ ...this.config, database }).connect();
    const dispose = adapter.dispose.bind(adapter);
    adapter.dispose = async () => {
      await dispose();
      await admin.query(`DROP DATABASE IF EXISTS "${database}"`);
      await admin.end();
    };
    return adapter;
  }
}

export default defineConfig({
  experimental: { adapter: true },
  engine: 'js',
  adapter: async () => new MigratePg(poolConfig(process.env.DATABASE_URL)),
  schema: 'prisma/schema.prisma',
  migrations: { path: 'prisma/migrations' },
});
