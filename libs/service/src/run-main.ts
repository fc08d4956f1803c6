import { ConfigError } from '@callctl/config';

/** Exit status for a bad configuration (sysexits EX_CONFIG), distinct from a crash. */
export const EXIT_CONFIG = 78;

/**
 * Runs a service's main. A configuration error prints its one-line message and exits EX_CONFIG with no
 * stack trace; any other start-up failure prints the error and exits 1.
 */
export function runMain(main: () => Promise<void>): void {
  main().catch((error: unknown) => {
    if (error instanceof ConfigError) {
      process.stderr.write(`${error.message}\n`);
      process.exit(EXIT_CONFIG);
    }
    process.stderr.write(
      `fatal: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`,
    );
    process.exit(1);
  });
}
