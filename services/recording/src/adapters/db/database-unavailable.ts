import { isCallctlError, UnavailableError } from '@callctl/errors';
import type { RecordingRepository } from '../../app/ports.js';

/**
 * The repository with the database's own failures (PostgreSQL down, a pool timeout) as UnavailableError,
 * so that a command meeting them answers UNAVAILABLE, which callers retry, rather than INTERNAL. The
 * repository's typed errors (not found, a bad page token) pass as they are.
 */
export function withDatabaseUnavailable(repository: RecordingRepository): RecordingRepository {
  const wrapped = {} as Record<string, unknown>;
  for (const name of Object.keys(repository) as Array<keyof RecordingRepository>) {
    const method = repository[name] as (...args: unknown[]) => Promise<unknown>;
    wrapped[name] = (...args: unknown[]) =>
      method.apply(repository, args).catch((error: unknown) => {
        if (isCallctlError(error)) throw error;
        const reason = (error instanceof Error ? error.message : String(error)).trim().split('\n').at(-1);
        throw new UnavailableError(`the recordings database failed: ${reason}`, {}, { cause: error });
      });
  }
  return wrapped as unknown as RecordingRepository;
}
