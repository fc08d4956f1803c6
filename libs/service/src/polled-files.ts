// Files that a running service re-reads: a Kubernetes Secret mounted as a volume is updated in place (the
// kubelet swaps a symlink), so certificates and token lists are rotated without a restart. Polling works
// for that swap, where inotify on the file itself would miss it, and a read every few seconds costs nothing.
import { readFileSync } from 'node:fs';

/** How often mounted credentials are read again. @default 10000 (the kubelet itself syncs every ~60 s) */
export const DEFAULT_RELOAD_INTERVAL_MS = 10_000;

/** The files' contents now, in order; throws (naming the file) when one cannot be read. */
export function readFiles(files: readonly string[]): Buffer[] {
  return files.map((file) => {
    try {
      return readFileSync(file);
    } catch (error) {
      throw new Error(`cannot read ${file}: ${(error as NodeJS.ErrnoException).code ?? String(error)}`, {
        cause: error,
      });
    }
  });
}

/**
 * Calls `onChange` with the files' contents each time one of them differs from `initial` (or from the
 * last change seen); a file that cannot be read at a tick (mid-rotation) is tried again at the next.
 * Returns the stop.
 */
export function pollFiles(
  files: readonly string[],
  initial: readonly Buffer[],
  intervalMs: number,
  onChange: (contents: Buffer[]) => void,
): () => void {
  let last = initial;
  const timer = setInterval(() => {
    let now: Buffer[];
    try {
      now = readFiles(files);
    } catch {
      return;
    }
    if (now.every((content, i) => content.equals(last[i]!))) return;
    last = now;
    onChange(now);
  }, intervalMs);
  timer.unref();
  return () => clearInterval(timer);
}
