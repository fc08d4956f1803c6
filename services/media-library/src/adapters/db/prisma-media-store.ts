// The library in PostgreSQL through Prisma: metadata in media_file, the converted WAV in media_content.
// Keeping the bytes in the database too makes the service stateless: any replica serves any file, and a
// cluster needs no volume shared between replicas. The bytes have their own table so that ListMedia and
// GetMedia never read them.
import type { PrismaClient } from '@callctl/db';
import type { MediaFileInfo, MediaFileStore, MediaPage } from '../../app/media-files.js';

const METADATA = {
  mediaId: true,
  name: true,
  uploadedFormat: true,
  uploadedBytes: true,
  durationMs: true,
  sampleRateHz: true,
  createdAt: true,
} as const;

type MetadataRow = {
  mediaId: string;
  name: string;
  uploadedFormat: string;
  uploadedBytes: bigint;
  durationMs: number;
  sampleRateHz: number;
  createdAt: Date;
};

const infoOf = (row: MetadataRow): MediaFileInfo => ({ ...row, uploadedBytes: Number(row.uploadedBytes) });

export function prismaMediaStore(db: PrismaClient): MediaFileStore {
  return {
    async add(file, wav) {
      await db.mediaFile.create({
        data: {
          ...file,
          uploadedBytes: BigInt(file.uploadedBytes),
          // A copy into a plain ArrayBuffer (what Prisma's Bytes takes); the WAV is read once per upload.
          content: { create: { wav: Uint8Array.from(wav) } },
        },
      });
    },

    async get(mediaId) {
      const row = await db.mediaFile.findFirst({ where: { mediaId, deletedAt: null }, select: METADATA });
      return row ? infoOf(row) : undefined;
    },

    async content(mediaId) {
      const row = await db.mediaFile.findFirst({
        where: { mediaId, deletedAt: null },
        select: { ...METADATA, content: { select: { wav: true } } },
      });
      if (!row?.content) return undefined;
      const { content, ...metadata } = row;
      return { file: infoOf(metadata), wav: content.wav };
    },

    async list(pageSize, after): Promise<MediaPage> {
      const rows = await db.mediaFile.findMany({
        where: {
          deletedAt: null,
          ...(after
            ? {
                OR: [
                  { createdAt: { lt: new Date(after.createdAtMs) } },
                  { createdAt: new Date(after.createdAtMs), mediaId: { lt: after.mediaId } },
                ],
              }
            : {}),
        },
        orderBy: [{ createdAt: 'desc' }, { mediaId: 'desc' }],
        // One more than asked tells whether there is a next page without a count.
        take: pageSize + 1,
        select: METADATA,
      });
      const files = rows.slice(0, pageSize).map(infoOf);
      const last = files.at(-1);
      return rows.length > pageSize && last
        ? { files, next: { createdAtMs: last.createdAt.getTime(), mediaId: last.mediaId } }
        : { files };
    },

    async delete(mediaId, at) {
      return db.$transaction(async (tx) => {
        const file = await tx.mediaFile.findUnique({ where: { mediaId }, select: { deletedAt: true } });
        if (!file) return 'unknown';
        if (file.deletedAt === null) {
          await tx.mediaFile.update({ where: { mediaId }, data: { deletedAt: at } });
          // Nothing may play a deleted file, so its bytes (the bulk of the row) go now.
          await tx.mediaContent.deleteMany({ where: { mediaId } });
        }
        return 'deleted';
      });
    },
  };
}
