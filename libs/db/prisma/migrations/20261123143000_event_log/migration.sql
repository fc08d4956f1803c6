-- The event log (one row per event, streams are `<category>-<id>`) and per-subscriber checkpoints.
-- Written by hand and kept in sync with schema.prisma.

CREATE TABLE "event_log" (
    "global_position" BIGSERIAL NOT NULL,
    "event_id" UUID NOT NULL,
    "stream_id" TEXT NOT NULL,
    "stream_version" INTEGER NOT NULL,
    "type" TEXT NOT NULL,
    "schema_version" INTEGER NOT NULL DEFAULT 1,
    "data" JSONB NOT NULL,
    "metadata" JSONB NOT NULL,
    "recorded_at" TIMESTAMPTZ(6) NOT NULL DEFAULT now(),
    CONSTRAINT "event_log_pkey" PRIMARY KEY ("global_position"),
    CONSTRAINT "event_log_stream_version_check" CHECK ("stream_version" >= 1)
);

CREATE UNIQUE INDEX "event_log_event_id_key" ON "event_log"("event_id");
CREATE UNIQUE INDEX "event_log_stream_id_stream_version_key" ON "event_log"("stream_id", "stream_version");

CREATE TABLE "event_checkpoint" (
    "subscriber_id" TEXT NOT NULL,
    "position" BIGINT NOT NULL,
    "updated_at" TIMESTAMPTZ(6) NOT NULL DEFAULT now(),
    CONSTRAINT "event_checkpoint_pkey" PRIMARY KEY ("subscriber_id")
);
