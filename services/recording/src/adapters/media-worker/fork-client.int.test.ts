// The fork client against a real media-worker process over a real rtpengine: whether a session exists
// (Query) for a live call, a call that was hung up and a session never made.
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startMediaStack, type MediaStack } from '../../../test/support/media-stack.js';
import { ForkClient } from './fork-client.js';

jest.setTimeout(60_000);

describe('fork client', () => {
  let dir: string;
  let stack: MediaStack;
  let forks: ForkClient;

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'recording-fork-client-'));
    stack = await startMediaStack(dir);
    forks = new ForkClient({ address: stack.workerAddress, timeoutMs: 5000 });
  });
  afterAll(async () => {
    forks?.close();
    await stack?.stop();
    await rm(dir, { recursive: true, force: true });
  });

  it('tells a live session from one that was deleted and one never made', async () => {
    const call = await stack.connectedCall();
    expect(await forks.sessionExists(call.sessionId)).toBe(true);
    await call.hangUp();
    expect(await forks.sessionExists(call.sessionId)).toBe(false);
    expect(await forks.sessionExists('session-never-made')).toBe(false);
  });

  it('says the worker is unavailable when nothing listens at its address', async () => {
    const nobody = new ForkClient({ address: '127.0.0.1:9', timeoutMs: 1000 });
    try {
      await expect(nobody.sessionExists('any')).rejects.toMatchObject({ kind: 'unavailable' });
    } finally {
      nobody.close();
    }
  });
});
