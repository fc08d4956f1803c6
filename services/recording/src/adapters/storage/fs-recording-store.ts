// Finished recordings in a directory (a volume in a cluster). A put copies the file to a temporary name in
// the key's directory, fsyncs it, renames it onto the key and fsyncs the directory: a reader (or a restart
// after a crash) sees the whole file under the key or nothing, never a partial one, and once put returns
// the file and its name survive a power loss.
import { randomBytes } from 'node:crypto';
import { copyFile, mkdir, open, rename, rm, rmdir, stat } from 'node:fs/promises';
import { dirname, join, relative, resolve, sep } from 'node:path';
import { NotFoundError } from '@callctl/errors';
import type { RecordingStore } from '../../app/ports.js';
import { storageKeySegments } from './storage-key.js';

export interface FsRecordingStoreOptions {
  /** The directory keys are relative to; created when missing. */
  readonly root: string;
}

export function fsRecordingStore(options: FsRecordingStoreOptions): RecordingStore {
  const root = resolve(options.root);
  const pathOf = (key: string) => join(root, ...storageKeySegments(key));

  return {
    kind: 'fs',

    async put(key, localPath) {
      const target = pathOf(key);
      const dir = dirname(target);
      const temporary = join(dir, `.${target.slice(dir.length + 1)}.${randomBytes(6).toString('hex')}.tmp`);
      try {
        // Twice at most: a delete of the key's last sibling may remove the directory between mkdir and copy.
        for (let attempt = 1; ; attempt++) {
          await makeDirectoryDurably(root, dir);
          try {
            await copyFile(localPath, temporary);
            break;
          } catch (error) {
            if (attempt >= 2 || !isCode(error, 'ENOENT') || !(await exists(localPath))) throw error;
          }
        }
        await fsyncPath(temporary, 'r+');
        const { size } = await stat(temporary);
        await rename(temporary, target);
        await fsyncPath(dir, 'r');
        return { bytes: size };
      } catch (error) {
        await rm(temporary, { force: true }).catch(() => undefined);
        if (isCode(error, 'ENOENT') && !(await exists(localPath)))
          throw new NotFoundError(`no file ${localPath} to store`, { key, localPath }, { cause: error });
        throw error;
      }
    },

    async *read(key) {
      const path = pathOf(key);
      let handle;
      try {
        handle = await open(path, 'r');
        if (!(await handle.stat()).isFile())
          throw Object.assign(new Error(`${path} is not a file`), { code: 'EISDIR' });
      } catch (error) {
        await handle?.close();
        if (isCode(error, 'ENOENT') || isCode(error, 'EISDIR') || isCode(error, 'ENOTDIR'))
          throw new NotFoundError(`no recording file ${key}`, { key }, { cause: error });
        throw error;
      }
      // The stream closes the handle when it ends or when the consumer stops early.
      for await (const chunk of handle.createReadStream({ highWaterMark: 64 * 1024 })) yield chunk as Buffer;
    },

    async delete(key) {
      const path = pathOf(key);
      await rm(path, { force: true });
      // Directories the key's removal left empty go too (up to, never including, the root).
      for (let dir = dirname(path); dir !== root && dir.startsWith(root + sep); dir = dirname(dir)) {
        try {
          await rmdir(dir);
        } catch {
          break;
        }
      }
    },
  };
}

/** mkdir -p, then fsync the parent of every directory it created so that their names are durable too. */
async function makeDirectoryDurably(root: string, dir: string): Promise<void> {
  await mkdir(root, { recursive: true });
  const first = await mkdir(dir, { recursive: true });
  if (first === undefined) return;
  const created = relative(dirname(first), dir).split(sep);
  let parent = dirname(first);
  for (const name of created) {
    await fsyncPath(parent, 'r');
    parent = join(parent, name);
  }
}

async function fsyncPath(path: string, flags: 'r' | 'r+'): Promise<void> {
  const handle = await open(path, flags);
  try {
    await handle.sync();
  } finally {
    await handle.close();
  }
}

async function exists(path: string): Promise<boolean> {
  return stat(path).then(
    () => true,
    () => false,
  );
}

function isCode(error: unknown, code: string): boolean {
  return typeof error === 'object' && error !== null && (error as { code?: unknown }).code === code;
}
