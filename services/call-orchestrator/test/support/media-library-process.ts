// The real media-library service, from its built entry point, for tests of what the orchestrator forwards.
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { freePort, startProcess, waitFor, type ManagedProcess } from '@callctl/testing';

const LIBRARY_MAIN = join(__dirname, '..', '..', '..', 'media-library', 'dist', 'src', 'main.js');

/** Starts it on a free port with `env` added to ours; resolves once it logs that it is ready. */
export async function startMediaLibraryProcess(
  env: Record<string, string>,
): Promise<{ process: ManagedProcess; port: number }> {
  if (!existsSync(LIBRARY_MAIN)) throw new Error(`${LIBRARY_MAIN} is missing: build it first (npx tsc -b)`);
  const port = await freePort();
  const library = startProcess(process.execPath, [LIBRARY_MAIN], {
    env: { ...process.env, GRPC_PORT: String(port), LOG_LEVEL: 'info', ...env },
  });
  try {
    await waitFor(
      'media-library ready',
      () => {
        if (library.child.exitCode !== null) throw new Error(`media-library exited: ${library.output()}`);
        return library.output().includes('media-library ready');
      },
      20_000,
    );
  } catch (error) {
    await library.stop();
    throw error;
  }
  return { process: library, port };
}
