import { createTestDatabase, type TestDatabase } from '@callctl/testing';
import { createDb, type PrismaClient } from './index.js';

describe('db: Prisma over node-postgres', () => {
  let database: TestDatabase;
  let db: PrismaClient;

  beforeAll(async () => {
    database = await createTestDatabase();
    db = createDb({ databaseUrl: database.url });
  });
  afterAll(async () => {
    await db?.$disconnect();
    await database?.drop();
  });

  it('runs a query against the real server', async () => {
    const rows = await db.$queryRaw<{ db: string; version: number }[]>`
      select current_database()::text as db, current_setting('server_version_num')::int as version`;
    expect(rows[0]?.db).toBe(database.name);
    expect(rows[0]?.version).toBeGreaterThanOrEqual(150000);
  });

  it('has every migration applied in the test database', async () => {
    const applied = await db.$queryRaw<{ pending: bigint }[]>`
      select count(*) filter (where finished_at is null) as pending from _prisma_migrations`;
    expect(Number(applied[0]?.pending)).toBe(0);
  });
});
