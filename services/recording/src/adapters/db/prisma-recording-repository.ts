// Recording metadata in PostgreSQL through Prisma (tables recording, recording_part, recording_pause of
// migration 20261206073000_recordings). The parties are a JSON array in channel order; parts and pauses
// are rows, so that one part or one part's pauses change without rewriting the recording. Listing pages by
// keyset (started_at, then recording_id, both descending): a page costs the same however deep it is, and a
// recording started between two pages neither repeats nor skips one.
import { NotFoundError, ValidationError } from '@callctl/errors';
import type { Prisma, PrismaClient } from '@callctl/db';
import type {
  ChannelLayout,
  PartRecord,
  PauseMode,
  PauseRecord,
  RecordingKind,
  RecordingParty,
  RecordingRecord,
  RecordingRepository,
  RecordingStatus,
  RecordingWithParts,
  StopReason,
} from '../../app/ports.js';

const UNFINISHED: readonly RecordingStatus[] = ['recording', 'paused'];

/** Parts in order, each with its pauses in the engine's order. */
const WITH_PARTS = {
  parts: { orderBy: { part: 'asc' }, include: { pauses: { orderBy: { seq: 'asc' } } } },
} as const satisfies Prisma.RecordingInclude;

type RecordingRow = Prisma.RecordingGetPayload<{ include: typeof WITH_PARTS }>;
type PartRow = RecordingRow['parts'][number];
type PauseRow = PartRow['pauses'][number];

export function prismaRecordingRepository(db: PrismaClient): RecordingRepository {
  return {
    async create(recording, firstPart) {
      // One statement with its part nested, not an interactive transaction: at tens of recordings a second
      // those waited for a connection of the pool and failed ("Unable to start a transaction in the given
      // time"). An id that exists already (a retry, or two creates racing) is the unique violation.
      const { recordingId: _ignored, ...part } = partData({
        ...firstPart,
        recordingId: recording.recordingId,
      });
      try {
        await db.recording.create({ data: { ...recordingData(recording), parts: { create: [part] } } });
        return 'created';
      } catch (error) {
        if ((error as { code?: unknown }).code === 'P2002') return 'exists';
        throw error;
      }
    },

    async get(recordingId) {
      const row = await db.recording.findUnique({ where: { recordingId }, include: WITH_PARTS });
      return row ? withPartsOf(row) : undefined;
    },

    async list({ callId, pageSize, pageToken }) {
      if (!Number.isInteger(pageSize) || pageSize < 1)
        throw new ValidationError(`page size must be a positive integer, got ${pageSize}`);
      const after = decodePageToken(pageToken);
      const rows = await db.recording.findMany({
        where: {
          ...(callId ? { callId } : {}),
          ...(after
            ? {
                OR: [
                  { startedAt: { lt: new Date(after.startedAtMs) } },
                  { startedAt: new Date(after.startedAtMs), recordingId: { lt: after.recordingId } },
                ],
              }
            : {}),
        },
        orderBy: [{ startedAt: 'desc' }, { recordingId: 'desc' }],
        // One more than asked tells whether there is a next page without a count.
        take: pageSize + 1,
        include: WITH_PARTS,
      });
      const items = rows.slice(0, pageSize).map(withPartsOf);
      const last = items.at(-1)?.recording;
      return {
        items,
        nextPageToken:
          rows.length > pageSize && last
            ? encodePageToken({ startedAtMs: last.startedAt.getTime(), recordingId: last.recordingId })
            : '',
      };
    },

    async unfinished(owner) {
      const rows = await db.recording.findMany({
        where: { owner, status: { in: [...UNFINISHED] } },
        orderBy: [{ startedAt: 'asc' }, { recordingId: 'asc' }],
        include: WITH_PARTS,
      });
      return rows.map(withPartsOf);
    },

    async update(recordingId, patch) {
      const { count } = await db.recording.updateMany({
        where: { recordingId },
        // undefined leaves a column as it is (Prisma skips undefined fields).
        data: {
          status: patch.status,
          stopReason: patch.stopReason,
          failureReason: patch.failureReason,
          sampleRate: patch.sampleRate,
          endedAt: patch.endedAt,
          owner: patch.owner,
        },
      });
      if (count === 0) throw new NotFoundError(`no recording ${recordingId}`, { recordingId });
    },

    async addPart(part) {
      await db.$transaction(async (tx) => {
        const recording = await tx.recording.findUnique({
          where: { recordingId: part.recordingId },
          select: { recordingId: true },
        });
        if (!recording)
          throw new NotFoundError(`no recording ${part.recordingId}`, { recordingId: part.recordingId });
        // A part already there is left alone: a restart that added it and died before going on adds it again.
        await tx.recordingPart.createMany({ data: [partData(part)], skipDuplicates: true });
      });
    },

    async updatePart(recordingId, part, patch) {
      const { count } = await db.recordingPart.updateMany({
        where: { recordingId, part },
        data: {
          storageKey: patch.storageKey,
          saved: patch.saved,
          partial: patch.partial,
          durationMs: patch.durationMs,
          bytes: patch.bytes === undefined ? undefined : BigInt(patch.bytes),
          sha256: patch.sha256,
          endedAt: patch.endedAt,
        },
      });
      if (count === 0)
        throw new NotFoundError(`no part ${part} of recording ${recordingId}`, { recordingId, part });
    },

    async setPauses(recordingId, part, pauses) {
      await db.$transaction(async (tx) => {
        const exists = await tx.recordingPart.findUnique({
          where: { recordingId_part: { recordingId, part } },
          select: { part: true },
        });
        if (!exists)
          throw new NotFoundError(`no part ${part} of recording ${recordingId}`, { recordingId, part });
        await tx.recordingPause.deleteMany({ where: { recordingId, part } });
        if (pauses.length === 0) return;
        await tx.recordingPause.createMany({
          data: pauses.map((pause, seq) => ({
            recordingId,
            part,
            seq,
            offsetMs: pause.offsetMs,
            durationMs: pause.durationMs,
            pausedAt: pause.pausedAt,
            resumedAt: pause.resumedAt ?? null,
          })),
        });
      });
    },

    async delete(recordingId) {
      // Parts and pauses go with it (ON DELETE CASCADE).
      await db.recording.deleteMany({ where: { recordingId } });
    },
  };
}

// ---- Rows and records ----

function recordingData(r: RecordingRecord): Prisma.RecordingCreateManyInput {
  return {
    recordingId: r.recordingId,
    callId: r.callId,
    kind: r.kind,
    parties: r.parties.map((p) => ({ legId: p.legId, sessionId: p.sessionId, tag: p.tag })),
    channels: r.channels,
    pauseMode: r.pauseMode,
    maxDurationMs: r.maxDurationMs,
    silenceTimeoutMs: r.silenceTimeoutMs,
    startDelayMs: r.startDelayMs,
    sampleRate: r.sampleRate,
    status: r.status,
    stopReason: r.stopReason ?? null,
    failureReason: r.failureReason ?? null,
    owner: r.owner,
    startedAt: r.startedAt,
    endedAt: r.endedAt ?? null,
  };
}

function partData(p: PartRecord): Prisma.RecordingPartCreateManyInput {
  return {
    recordingId: p.recordingId,
    part: p.part,
    spoolPath: p.spoolPath,
    storageKey: p.storageKey ?? null,
    saved: p.saved,
    partial: p.partial,
    durationMs: p.durationMs,
    bytes: BigInt(p.bytes),
    sha256: p.sha256,
    startedAt: p.startedAt,
    endedAt: p.endedAt ?? null,
  };
}

function withPartsOf(row: RecordingRow): RecordingWithParts {
  return {
    recording: recordingOf(row),
    parts: row.parts.map(partOf),
    pauses: row.parts.flatMap((part) => part.pauses.map(pauseOf)),
  };
}

// The text columns hold only these values (the migration's CHECK constraints), so the casts are safe.
function recordingOf(row: RecordingRow): RecordingRecord {
  return {
    recordingId: row.recordingId,
    callId: row.callId,
    kind: row.kind as RecordingKind,
    parties: partiesOf(row.parties, row.recordingId),
    channels: row.channels as ChannelLayout,
    pauseMode: row.pauseMode as PauseMode,
    maxDurationMs: row.maxDurationMs,
    silenceTimeoutMs: row.silenceTimeoutMs,
    startDelayMs: row.startDelayMs,
    sampleRate: row.sampleRate,
    status: row.status as RecordingStatus,
    ...(row.stopReason !== null ? { stopReason: row.stopReason as StopReason } : {}),
    ...(row.failureReason !== null ? { failureReason: row.failureReason } : {}),
    owner: row.owner,
    startedAt: row.startedAt,
    ...(row.endedAt !== null ? { endedAt: row.endedAt } : {}),
  };
}

function partiesOf(value: Prisma.JsonValue, recordingId: string): RecordingParty[] {
  const parties = Array.isArray(value) ? value : [];
  return parties.map((p) => {
    const { legId, sessionId, tag } = (p ?? {}) as Record<string, unknown>;
    if (typeof legId !== 'string' || typeof sessionId !== 'string' || typeof tag !== 'string')
      throw new Error(`recording ${recordingId} has a malformed party in the database: ${JSON.stringify(p)}`);
    return { legId, sessionId, tag };
  });
}

function partOf(row: PartRow): PartRecord {
  return {
    recordingId: row.recordingId,
    part: row.part,
    spoolPath: row.spoolPath,
    ...(row.storageKey !== null ? { storageKey: row.storageKey } : {}),
    saved: row.saved,
    partial: row.partial,
    durationMs: row.durationMs,
    bytes: Number(row.bytes),
    sha256: row.sha256,
    startedAt: row.startedAt,
    ...(row.endedAt !== null ? { endedAt: row.endedAt } : {}),
  };
}

function pauseOf(row: PauseRow): PauseRecord {
  return {
    recordingId: row.recordingId,
    part: row.part,
    offsetMs: row.offsetMs,
    durationMs: row.durationMs,
    pausedAt: row.pausedAt,
    ...(row.resumedAt !== null ? { resumedAt: row.resumedAt } : {}),
  };
}

// ---- The page token: the last row's key, base64url JSON; opaque to callers, checked when it comes back ----

interface PageKey {
  startedAtMs: number;
  recordingId: string;
}

function encodePageToken(key: PageKey): string {
  return Buffer.from(JSON.stringify([key.startedAtMs, key.recordingId])).toString('base64url');
}

function decodePageToken(token: string | undefined): PageKey | undefined {
  if (!token) return undefined;
  let key: unknown;
  try {
    key = JSON.parse(Buffer.from(token, 'base64url').toString('utf8'));
  } catch {
    key = undefined;
  }
  if (
    !Array.isArray(key) ||
    key.length !== 2 ||
    !Number.isSafeInteger(key[0]) ||
    typeof key[1] !== 'string' ||
    key[1] === ''
  )
    throw new ValidationError('page_token is not one ListRecordings returned');
  return { startedAtMs: key[0] as number, recordingId: key[1] };
}
