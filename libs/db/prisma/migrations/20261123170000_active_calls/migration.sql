-- The call-orchestrator's active-calls read model (projection `projection:active_calls`): one row per call
-- between its CallCreated and CallEnded events. Rebuilt from the event log when emptied.
CREATE TABLE "active_call" (
    "call_id" TEXT NOT NULL,
    "created_position" BIGINT NOT NULL,
    "created_at" TIMESTAMPTZ(6) NOT NULL,
    CONSTRAINT "active_call_pkey" PRIMARY KEY ("call_id")
);

CREATE INDEX "active_call_created_position_idx" ON "active_call"("created_position");
