// The metadata repository against the real PostgreSQL: a fresh database copied from the migrated template
// (@callctl/testing createTestDatabase), so the migration's tables, indexes and CHECK constraints are the
// ones exercised, and the dev database is never touched.
import { createDb, type PrismaClient } from '@callctl/db';
import { NotFoundError, ValidationError } from '@callctl/errors';
import { createTestDatabase, type TestDatabase } from '@callctl/testing';
import { prismaRecordingRepository } from '../src/adapters/db/prisma-recording-repository.js';
import type {
  PartRecord,
  RecordingRecord,
  RecordingRepository,
  RecordingWithParts,
} from '../src/app/ports.js';

let seq = 0;
const recordingIdOf = () => `rec-${(++seq).toString(16).padStart(32, '0')}`;

function recordingOf(overrides: Partial<RecordingRecord> = {}): RecordingRecord {
  return {
    recordingId: recordingIdOf(),
    callId: 'call-1',
    kind: 'call',
    parties: [
      { legId: 'leg-a', sessionId: 'sess-1', tag: 'tag-a' },
      { legId: 'leg-b', sessionId: 'sess-1', tag: 'tag-b' },
    ],
    channels: 'dual',
    pauseMode: 'silence',
    maxDurationMs: 60_000,
    silenceTimeoutMs: 0,
    startDelayMs: 250,
    sampleRate: 0,
    status: 'recording',
    owner: 'recording-1',
    startedAt: new Date('2026-12-06T07:00:00.123Z'),
    ...overrides,
  };
}

function partOf(recordingId: string, part = 1, overrides: Partial<PartRecord> = {}): PartRecord {
  return {
    recordingId,
    part,
    spoolPath: `/var/spool/recording/${recordingId}/part-${part}.wav`,
    saved: false,
    partial: false,
    durationMs: 0,
    bytes: 0,
    sha256: '',
    startedAt: new Date('2026-12-06T07:00:00.500Z'),
    ...overrides,
  };
}

describe('PrismaRecordingRepository (PostgreSQL)', () => {
  let database: TestDatabase;
  let db: PrismaClient;
  let repo: RecordingRepository;

  beforeAll(async () => {
    database = await createTestDatabase();
    db = createDb({ databaseUrl: database.url });
    repo = prismaRecordingRepository(db);
  });
  afterAll(async () => {
    await db?.$disconnect();
    await database?.drop();
  });

  it('creates a recording with its first part and reads back every field, parties in channel order', async () => {
    const recording = recordingOf();
    const part = partOf(recording.recordingId);
    expect(await repo.create(recording, part)).toBe('created');

    const got = await repo.get(recording.recordingId);
    expect(got).toEqual<RecordingWithParts>({ recording, parts: [part], pauses: [] });
    // Optional fields never set stay absent rather than null/undefined keys.
    expect(Object.keys(got!.recording)).not.toContain('stopReason');
    expect(Object.keys(got!.parts[0]!)).not.toContain('storageKey');
  });

  it('is idempotent on recordingId: a second create leaves the first one as it is', async () => {
    const recording = recordingOf();
    await repo.create(recording, partOf(recording.recordingId));
    const again = recordingOf({ recordingId: recording.recordingId, callId: 'other', owner: 'other' });
    expect(await repo.create(again, partOf(recording.recordingId, 1, { spoolPath: '/elsewhere' }))).toBe(
      'exists',
    );

    const got = await repo.get(recording.recordingId);
    expect(got?.recording.callId).toBe('call-1');
    expect(got?.recording.owner).toBe('recording-1');
    expect(got?.parts.map((p) => p.spoolPath)).toEqual([partOf(recording.recordingId).spoolPath]);
  });

  it('answers undefined for an unknown recording', async () => {
    expect(await repo.get('rec-unknown')).toBeUndefined();
  });

  it('updates the recording and its parts, keeping what the patch leaves out', async () => {
    const recording = recordingOf();
    await repo.create(recording, partOf(recording.recordingId));
    const endedAt = new Date('2026-12-06T07:05:00.000Z');
    await repo.update(recording.recordingId, { sampleRate: 16000 });
    await repo.update(recording.recordingId, { status: 'saved', stopReason: 'call_ended', endedAt });
    await repo.updatePart(recording.recordingId, 1, {
      storageKey: `${recording.recordingId}/part-1.wav`,
      saved: true,
      durationMs: 299_500,
      // Over 2^31: a long dual-channel wideband file does not fit an int4.
      bytes: 3_000_000_000,
      sha256: 'ab'.repeat(32),
      endedAt,
    });

    const got = await repo.get(recording.recordingId);
    expect(got?.recording).toEqual({
      ...recording,
      sampleRate: 16000,
      status: 'saved',
      stopReason: 'call_ended',
      endedAt,
    });
    expect(got?.parts).toEqual([
      {
        ...partOf(recording.recordingId),
        storageKey: `${recording.recordingId}/part-1.wav`,
        saved: true,
        durationMs: 299_500,
        bytes: 3_000_000_000,
        sha256: 'ab'.repeat(32),
        endedAt,
      },
    ]);
  });

  it('answers NotFound for updates of a recording or part that does not exist', async () => {
    await expect(repo.update('rec-unknown', { status: 'failed' })).rejects.toBeInstanceOf(NotFoundError);
    await expect(repo.updatePart('rec-unknown', 1, { saved: true })).rejects.toBeInstanceOf(NotFoundError);
    await expect(repo.addPart(partOf('rec-unknown', 2))).rejects.toBeInstanceOf(NotFoundError);
    await expect(repo.setPauses('rec-unknown', 1, [])).rejects.toBeInstanceOf(NotFoundError);
  });

  it('refuses values outside the domain (the CHECK constraints), so nothing unknown is ever read back', async () => {
    const recording = recordingOf();
    await repo.create(recording, partOf(recording.recordingId));
    await expect(repo.update(recording.recordingId, { status: 'stopped' as never })).rejects.toThrow();
    await expect(repo.update(recording.recordingId, { stopReason: 'bored' as never })).rejects.toThrow();
    await expect(repo.update(recording.recordingId, { sampleRate: 44100 })).rejects.toThrow();
    expect((await repo.get(recording.recordingId))?.recording).toEqual(recording);
  });

  it('adds parts in order and replaces one part’s pauses with the engine’s list', async () => {
    const recording = recordingOf({ pauseMode: 'cut' });
    await repo.create(recording, partOf(recording.recordingId));
    const part2 = partOf(recording.recordingId, 2, { startedAt: new Date('2026-12-06T07:01:00.000Z') });
    await repo.addPart(part2);
    // Adding it again (a restart that died after adding it) leaves it alone.
    await repo.addPart({ ...part2, spoolPath: '/again' });

    const at = (s: number) => new Date(Date.UTC(2026, 11, 6, 7, 0, s));
    const pause = (part: number, offsetMs: number, s: number, resumed?: number) => ({
      recordingId: recording.recordingId,
      part,
      offsetMs,
      durationMs: resumed === undefined ? 0 : (resumed - s) * 1000,
      pausedAt: at(s),
      ...(resumed === undefined ? {} : { resumedAt: at(resumed) }),
    });
    await repo.setPauses(recording.recordingId, 1, [pause(1, 1000, 2, 4)]);
    // Two pauses at the same offset (cut mode, no audio between them) are both kept, in the given order.
    await repo.setPauses(recording.recordingId, 2, [pause(2, 500, 10, 12), pause(2, 500, 13)]);
    await repo.setPauses(recording.recordingId, 1, [pause(1, 1000, 2, 4), pause(1, 3000, 6, 7)]);

    const got = await repo.get(recording.recordingId);
    expect(got?.parts.map((p) => [p.part, p.spoolPath])).toEqual([
      [1, partOf(recording.recordingId).spoolPath],
      [2, part2.spoolPath],
    ]);
    expect(got?.pauses).toEqual([
      pause(1, 1000, 2, 4),
      pause(1, 3000, 6, 7),
      pause(2, 500, 10, 12),
      pause(2, 500, 13),
    ]);

    await repo.setPauses(recording.recordingId, 1, []);
    expect((await repo.get(recording.recordingId))?.pauses).toEqual([
      pause(2, 500, 10, 12),
      pause(2, 500, 13),
    ]);
  });

  it('deletes a recording with its parts and pauses; an unknown id is fine', async () => {
    const recording = recordingOf();
    await repo.create(recording, partOf(recording.recordingId));
    await repo.addPart(partOf(recording.recordingId, 2));
    await repo.setPauses(recording.recordingId, 2, [
      { recordingId: recording.recordingId, part: 2, offsetMs: 0, durationMs: 0, pausedAt: new Date() },
    ]);
    await repo.delete(recording.recordingId);
    await repo.delete(recording.recordingId);
    await repo.delete('rec-unknown');

    expect(await repo.get(recording.recordingId)).toBeUndefined();
    expect(await db.recordingPart.count({ where: { recordingId: recording.recordingId } })).toBe(0);
    expect(await db.recordingPause.count({ where: { recordingId: recording.recordingId } })).toBe(0);
  });

  describe('listing', () => {
    const callId = 'call-list';
    const ids: string[] = [];

    beforeAll(async () => {
      // Seven recordings of one call, three sharing one start time (the id breaks the tie), and one of
      // another call started later than all of them.
      const starts = [1, 2, 3, 3, 3, 4, 5];
      for (const s of starts) {
        const recording = recordingOf({ callId, startedAt: new Date(Date.UTC(2030, 0, 1, 0, 0, s)) });
        ids.push(recording.recordingId);
        await repo.create(recording, partOf(recording.recordingId));
      }
      const other = recordingOf({ callId: 'call-other', startedAt: new Date(Date.UTC(2030, 0, 1, 0, 0, 9)) });
      await repo.create(other, partOf(other.recordingId));
    });

    async function listAll(pageSize: number, call?: string): Promise<string[][]> {
      const pages: string[][] = [];
      let pageToken = '';
      do {
        const page = await repo.list({
          ...(call === undefined ? {} : { callId: call }),
          pageSize,
          pageToken,
        });
        pages.push(page.items.map((i) => i.recording.recordingId));
        pageToken = page.nextPageToken;
      } while (pageToken);
      return pages;
    }

    it('lists one call newest first, in pages that neither repeat nor skip a recording', async () => {
      // Same start: the greater id first.
      const newestFirst = [ids[6], ids[5], ids[4], ids[3], ids[2], ids[1], ids[0]];
      expect(await listAll(3, callId)).toEqual([newestFirst.slice(0, 3), newestFirst.slice(3, 6), [ids[0]]]);
      expect(await listAll(7, callId)).toEqual([newestFirst]);
      const first = await repo.list({ callId, pageSize: 100 });
      expect(first.items.map((i) => i.recording.recordingId)).toEqual(newestFirst);
      expect(first.items[0]?.parts).toHaveLength(1);
      expect(first.nextPageToken).toBe('');
    });

    it('lists every call when callId is empty or absent', async () => {
      const all = (await listAll(2)).flat();
      expect(all.length).toBeGreaterThanOrEqual(8);
      expect(new Set(all).size).toBe(all.length);
      const allEmpty = (await listAll(1000, '')).flat();
      expect(allEmpty).toEqual(all);
      // The other call's recording is the newest of all.
      expect((await repo.list({ pageSize: 1 })).items[0]?.recording.callId).toBe('call-other');
    });

    it('refuses a page token it did not make', async () => {
      await expect(repo.list({ pageSize: 10, pageToken: 'not-a-token' })).rejects.toBeInstanceOf(
        ValidationError,
      );
      const forged = Buffer.from(JSON.stringify({ a: 1 })).toString('base64url');
      await expect(repo.list({ pageSize: 10, pageToken: forged })).rejects.toBeInstanceOf(ValidationError);
    });
  });

  it('finds the unfinished recordings of one owner (recording or paused), oldest first', async () => {
    const owner = 'recording-unfinished';
    const rec = recordingOf({ owner, startedAt: new Date('2031-01-01T00:00:01Z') });
    const paused = recordingOf({ owner, status: 'paused', startedAt: new Date('2031-01-01T00:00:00Z') });
    const saved = recordingOf({ owner, status: 'saved', stopReason: 'requested', endedAt: new Date() });
    const failed = recordingOf({ owner, status: 'failed', failureReason: 'disk full', endedAt: new Date() });
    const others = recordingOf({ owner: 'recording-elsewhere' });
    for (const r of [rec, paused, saved, failed, others]) await repo.create(r, partOf(r.recordingId));

    const unfinished = await repo.unfinished(owner);
    expect(unfinished.map((u) => u.recording.recordingId)).toEqual([paused.recordingId, rec.recordingId]);
    expect(unfinished[0]?.parts).toEqual([partOf(paused.recordingId)]);

    // Taking one over (a new owner) moves it.
    await repo.update(rec.recordingId, { owner: 'recording-2' });
    expect((await repo.unfinished(owner)).map((u) => u.recording.recordingId)).toEqual([paused.recordingId]);
    expect((await repo.unfinished('recording-2')).map((u) => u.recording.recordingId)).toEqual([
      rec.recordingId,
    ]);
  });
});
