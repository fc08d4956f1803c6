-- The recording service (services/recording): metadata of recordings, their parts (one WAV file each, kept
-- in a directory or an S3 bucket) and their pauses. The parties are a JSON array in channel order: written
-- once with the recording and always read whole. Deleting a recording removes its parts and pauses
-- (ON DELETE CASCADE).
CREATE TABLE "recording" (
    "recording_id" TEXT NOT NULL,
    "call_id" TEXT NOT NULL,
    "kind" TEXT NOT NULL,
    "parties" JSONB NOT NULL,
    "channels" TEXT NOT NULL,
    "pause_mode" TEXT NOT NULL,
    "max_duration_ms" INTEGER NOT NULL,
    "silence_timeout_ms" INTEGER NOT NULL,
    "start_delay_ms" INTEGER NOT NULL,
    "sample_rate" INTEGER NOT NULL,
    "status" TEXT NOT NULL,
    "stop_reason" TEXT,
    "failure_reason" TEXT,
    "owner" TEXT NOT NULL,
    "started_at" TIMESTAMPTZ(6) NOT NULL,
    "ended_at" TIMESTAMPTZ(6),

    CONSTRAINT "recording_pkey" PRIMARY KEY ("recording_id")
);

CREATE TABLE "recording_part" (
    "recording_id" TEXT NOT NULL,
    "part" INTEGER NOT NULL,
    "spool_path" TEXT NOT NULL,
    "storage_key" TEXT,
    "saved" BOOLEAN NOT NULL,
    "partial" BOOLEAN NOT NULL,
    "duration_ms" INTEGER NOT NULL,
    "bytes" BIGINT NOT NULL,
    "sha256" TEXT NOT NULL,
    "started_at" TIMESTAMPTZ(6) NOT NULL,
    "ended_at" TIMESTAMPTZ(6),

    CONSTRAINT "recording_part_pkey" PRIMARY KEY ("recording_id","part")
);

CREATE TABLE "recording_pause" (
    "recording_id" TEXT NOT NULL,
    "part" INTEGER NOT NULL,
    "seq" INTEGER NOT NULL,
    "offset_ms" INTEGER NOT NULL,
    "duration_ms" INTEGER NOT NULL,
    "paused_at" TIMESTAMPTZ(6) NOT NULL,
    "resumed_at" TIMESTAMPTZ(6),

    CONSTRAINT "recording_pause_pkey" PRIMARY KEY ("recording_id","part","seq")
);

CREATE INDEX "recording_call_id_started_at_recording_id_idx" ON "recording"("call_id", "started_at" DESC, "recording_id" DESC);

CREATE INDEX "recording_started_at_recording_id_idx" ON "recording"("started_at" DESC, "recording_id" DESC);

CREATE INDEX "recording_owner_status_idx" ON "recording"("owner", "status");

ALTER TABLE "recording_part" ADD CONSTRAINT "recording_part_recording_id_fkey" FOREIGN KEY ("recording_id") REFERENCES "recording"("recording_id") ON DELETE CASCADE ON UPDATE CASCADE;

ALTER TABLE "recording_pause" ADD CONSTRAINT "recording_pause_recording_id_part_fkey" FOREIGN KEY ("recording_id", "part") REFERENCES "recording_part"("recording_id", "part") ON DELETE CASCADE ON UPDATE CASCADE;

-- Written by hand (Prisma does not model CHECK constraints): the values of ports.ts, so that no writer can
-- store one the service would not understand. A new value is one constraint to replace.
ALTER TABLE "recording" ADD CONSTRAINT "recording_kind_check" CHECK ("kind" IN ('call', 'segment'));
ALTER TABLE "recording" ADD CONSTRAINT "recording_channels_check" CHECK ("channels" IN ('mono', 'dual'));
ALTER TABLE "recording" ADD CONSTRAINT "recording_pause_mode_check" CHECK ("pause_mode" IN ('silence', 'cut'));
ALTER TABLE "recording" ADD CONSTRAINT "recording_status_check"
    CHECK ("status" IN ('recording', 'paused', 'saved', 'failed'));
ALTER TABLE "recording" ADD CONSTRAINT "recording_stop_reason_check"
    CHECK ("stop_reason" IN ('requested', 'call_ended', 'max_duration', 'silence', 'terminator', 'media_ended'));
ALTER TABLE "recording" ADD CONSTRAINT "recording_sample_rate_check" CHECK ("sample_rate" IN (0, 8000, 16000));
ALTER TABLE "recording" ADD CONSTRAINT "recording_parties_check" CHECK (jsonb_typeof("parties") = 'array');
ALTER TABLE "recording_part" ADD CONSTRAINT "recording_part_part_check" CHECK ("part" >= 1);
