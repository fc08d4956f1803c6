// Child process of the fs store's crash test: runs put(key, file) with rename() held back, says so on
// stdout, and waits there to be killed (SIGKILL), i.e. it crashes after the copy and its fsync and before
// the rename, the one window in which a partial store could be seen if put wrote under the key itself.
// Usage: node --import tsx fs-put-until-rename.ts <root> <key> <file>
import fsPromises from 'node:fs/promises';
import { fsRecordingStore } from '../../src/adapters/storage/fs-recording-store.js';

const [root, key, file] = process.argv.slice(2) as [string, string, string];
// The store calls fs/promises' rename through the module object, so replacing it here holds it back.
(fsPromises as { rename: (from: string, to: string) => Promise<void> }).rename = (from) => {
  process.stdout.write(`renaming ${from}\n`);
  return new Promise<void>(() => undefined);
};
void fsRecordingStore({ root }).put(key, file);
// Keeps the process alive while the held-back rename waits.
setInterval(() => undefined, 1000);
