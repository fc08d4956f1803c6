import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { mkdir, rm, rmdir } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { repairWav } from '@callctl/rtp';
import type { SpoolFiles } from '../../app/service-ports.js';

/** The live WAVs under RECORDING_SPOOL_DIR: `<dir>/<recording id>/part-<n>.wav`. */
export function spoolFiles(dir: string): SpoolFiles {
  return {
    async prepare(recordingId, part) {
      const path = join(dir, recordingId, `part-${part}.wav`);
      await mkdir(dirname(path), { recursive: true });
      return path;
    },
    async digest(path) {
      const hash = createHash('sha256');
      let bytes = 0;
      for await (const chunk of createReadStream(path) as AsyncIterable<Buffer>) {
        hash.update(chunk);
        bytes += chunk.length;
      }
      return { sha256: hash.digest('hex'), bytes };
    },
    async repair(path) {
      const repaired = await repairWav(path);
      return {
        partial: repaired.partial,
        durationMs: Math.round(repaired.durationMs),
        sampleRate: repaired.sampleRate,
        channels: repaired.channels,
      };
    },
    async remove(path) {
      await rm(path, { force: true });
      // The recording's directory goes with its last part; another part still in it keeps it.
      await rmdir(dirname(path)).catch(() => undefined);
    },
  };
}
