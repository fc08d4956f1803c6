import { randomUUID } from 'node:crypto';
import { copyFileSync, mkdirSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { status } from '@grpc/grpc-js';
import { type media } from '@callctl/proto';
import { waitFor } from '@callctl/testing';
import { startMediaStoreServer, type MediaStoreServer } from './support/media-store-server.js';
import { call, startWorkerUnderTest, type WorkerUnderTest } from './support/worker-under-test.js';

jest.setTimeout(60_000);

const TONE_DETECTED = 0.5;

// Prompts from a MediaStore (tts:<id>, library:<id>): the stores here are the contract's reference server
// (test/support/media-store-server.ts); the platform's e2e tests play through the real tts and
// media-library services.
describe('media-worker plays media from a MediaStore (real rtpengine, real RTP, gRPC store)', () => {
  let w: WorkerUnderTest;
  let tts: MediaStoreServer;
  let library: MediaStoreServer;
  let storeDir: string;

  beforeAll(async () => {
    // The stores start first: the worker is given their addresses. Their files are made with the worker's
    // sox helper afterwards (it writes into the worker's test directory), then copied into the store's.
    storeDir = mkdtempSync(join(tmpdir(), 'media-store-'));
    tts = await startMediaStoreServer(join(storeDir, 'tts'));
    library = await startMediaStoreServer(join(storeDir, 'library'));
    w = await startWorkerUnderTest({ mediaStores: { tts: tts.address, library: library.address } });
    mkdirSync(join(storeDir, 'tts'));
    mkdirSync(join(storeDir, 'library'));
    copyFileSync(w.tone('speech.wav', 1, 1000), join(storeDir, 'tts', 'tts-0001.wav'));
    copyFileSync(w.tone('upload.wav', 1, 600), join(storeDir, 'library', 'lib-0001.wav'));
  });

  afterAll(async () => {
    await w?.close();
    await tts?.close();
    await library?.close();
    rmSync(storeDir, { recursive: true, force: true });
  });

  const play = (sessionId: string, source: string) =>
    call<media.PlayRequest, media.PlayResponse>((r, cb) => w.client.play(r, cb), {
      sessionId,
      tag: 'caller',
      source,
      repeat: 0,
      playbackId: '',
      callId: `call-${sessionId}`,
    });

  const caller = async () => {
    const legId = 'caller';
    const answered = await w.answerLocally({ legId, callId: `call-${randomUUID()}` });
    answered.caller.useRemote(answered.answerSdp);
    answered.caller.startTone(0);
    return answered;
  };

  it('plays tts:<id> fetched from the tts store as the tone it holds, and reuses the fetched file', async () => {
    const { caller: endpoint, sessionId } = await caller();
    const { durationMs } = await play(sessionId, 'tts:tts-0001');
    expect(durationMs).toBeGreaterThan(900);
    await waitFor('1000 Hz from tts:', () => endpoint.recentToneRatio(1000, 200) > TONE_DETECTED, 10_000);
    // Content addresses never change: the second play is served from the cache.
    const again = await caller();
    await play(again.sessionId, 'tts:tts-0001');
    await waitFor('1000 Hz again', () => again.caller.recentToneRatio(1000, 200) > TONE_DETECTED, 10_000);
    expect(tts.fetched).toEqual(['tts-0001']);
    expect(readdirSync(join(w.dir, 'cache')).filter((n) => n.endsWith('.part'))).toEqual([]);
  });

  it('plays library:<id> from the media-library store, concurrent plays sharing one fetch', async () => {
    const parties = await Promise.all([caller(), caller(), caller()]);
    await Promise.all(parties.map(({ sessionId }) => play(sessionId, 'library:lib-0001')));
    for (const { caller: endpoint } of parties)
      await waitFor('600 Hz from library:', () => endpoint.recentToneRatio(600, 200) > TONE_DETECTED, 10_000);
    expect(library.fetched).toEqual(['lib-0001']);
    expect(tts.fetched).not.toContain('lib-0001');
  });

  it('answers NOT_FOUND naming the source when the store does not know the id', async () => {
    const { sessionId } = await caller();
    await expect(play(sessionId, 'tts:no-such-id')).rejects.toMatchObject({
      code: status.NOT_FOUND,
      details: 'media not found: tts:no-such-id',
    });
  });

  it('refuses an unknown scheme and a malformed id as INVALID_ARGUMENT', async () => {
    const { sessionId } = await caller();
    await expect(play(sessionId, 'tts:../../etc/passwd')).rejects.toMatchObject({
      code: status.INVALID_ARGUMENT,
    });
    await expect(play(sessionId, 's3:bucket/x.wav')).rejects.toMatchObject({ code: status.INVALID_ARGUMENT });
  });
});
