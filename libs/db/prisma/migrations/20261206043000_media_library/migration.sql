-- The media library (services/media-library): metadata and bytes of uploaded prompts, both in PostgreSQL so
-- that the service keeps no state of its own (any replica serves any file; no shared volume in a cluster).
-- The bytes have their own table so that listing never reads them. Deletes are soft: deleted_at is set and
-- the bytes row goes.
CREATE TABLE "media_file" (
    "media_id" TEXT NOT NULL,
    "name" TEXT NOT NULL,
    "uploaded_format" TEXT NOT NULL,
    "uploaded_bytes" BIGINT NOT NULL,
    "duration_ms" INTEGER NOT NULL,
    "sample_rate_hz" INTEGER NOT NULL,
    "created_at" TIMESTAMPTZ(6) NOT NULL,
    "deleted_at" TIMESTAMPTZ(6),

    CONSTRAINT "media_file_pkey" PRIMARY KEY ("media_id")
);

CREATE TABLE "media_content" (
    "media_id" TEXT NOT NULL,
    "wav" BYTEA NOT NULL,

    CONSTRAINT "media_content_pkey" PRIMARY KEY ("media_id")
);

CREATE INDEX "media_file_created_at_media_id_idx" ON "media_file"("created_at" DESC, "media_id" DESC);

ALTER TABLE "media_content" ADD CONSTRAINT "media_content_media_id_fkey" FOREIGN KEY ("media_id") REFERENCES "media_file"("media_id") ON DELETE CASCADE ON UPDATE CASCADE;
