-- Facts (CALLCTL_FACTS) the call-orchestrator refused for good: undecodable, or refused by the call's
-- domain. Each was settled with a plain TERM (never redelivered) and kept here, one row per fact, so that
-- a developer can list them and see what was refused and why. A fact delivered again (another instance,
-- a redelivery before the TERM) bumps delivery_count and last_seen_at.
CREATE TABLE "fact_dead_letter" (
    "fact_id" TEXT NOT NULL,
    "call_id" TEXT NOT NULL,
    "subject" TEXT NOT NULL,
    "kind" TEXT NOT NULL,
    "reason" TEXT NOT NULL,
    "payload" BYTEA NOT NULL,
    "stream_sequence" BIGINT NOT NULL,
    "first_seen_at" TIMESTAMPTZ(6) NOT NULL,
    "last_seen_at" TIMESTAMPTZ(6) NOT NULL,
    "delivery_count" INTEGER NOT NULL,
    CONSTRAINT "fact_dead_letter_pkey" PRIMARY KEY ("fact_id")
);

CREATE INDEX "fact_dead_letter_call_id_idx" ON "fact_dead_letter"("call_id");
CREATE INDEX "fact_dead_letter_last_seen_at_idx" ON "fact_dead_letter"("last_seen_at");
