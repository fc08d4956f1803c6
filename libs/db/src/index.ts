import { PrismaPg } from '@prisma/adapter-pg';
import { PrismaClient } from './generated/prisma/client.js';

export { PrismaClient, Prisma } from './generated/prisma/client.js';

export interface DbOptions {
  /** postgres:// URL. */
  databaseUrl: string;
  /** Pool size per process. @default 10 */
  maxConnections?: number;
  /** A statement running longer is cancelled by the server. @default 10000 */
  statementTimeoutMs?: number;
}

/** The Prisma client over node-postgres (no native query engine). */
export function createDb(options: DbOptions): PrismaClient {
  const adapter = new PrismaPg({
    connectionString: options.databaseUrl,
    max: options.maxConnections ?? 10,
    statement_timeout: options.statementTimeoutMs ?? 10_000,
    connectionTimeoutMillis: 5_000,
  });
  return new PrismaClient({ adapter });
}
