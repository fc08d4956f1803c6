-- event_log_append_batch: group commit. Several appends (items) in one statement, so one transaction, one
-- advisory lock, one WAL flush and one round trip serve them all. @callctl/eventstore sends every append
-- that queued while its previous append transaction was in flight (src/append-batcher.ts).
--
-- Items are given as parallel arrays, one element per item: stream id, expected version (NULL = any, 0 =
-- the stream must not exist yet, N = the version of its last event), event count, metadata. Their events
-- are given as parallel arrays too, item after item, each item owning the next p_counts[i] elements.
--
-- Items are applied in order, each by the rules of a lone append, and later items see
-- earlier ones (two items for one stream chain). An item that event_log_append would refuse is reported
-- in its row instead of raising, and the other items go on: checked under the lock before any insert, a
-- refusal needs no exception and so no savepoint. One row per item, in item order:
--   item        1-based index of the item
--   outcome     appended | duplicate (a retry, nothing written, positions are the stored ones) |
--               conflict (version mismatch, detail is the actual version) |
--               reused (an event id stored with other content or in another batch, detail is that id)
--   positions   global positions of the item events (appended, duplicate)
--   next_version the stream version after the item (appended, duplicate)
-- Malformed arrays raise invalid_parameter_value and nothing is written. NOTIFY once, with the last
-- position written, when anything was written.
-- No semicolons or quotes in these comments: Prisma splits a migration into statements on semicolons.
CREATE FUNCTION event_log_append_batch(
    p_stream_ids TEXT[],
    p_expected INTEGER[],
    p_counts INTEGER[],
    p_metadata JSONB[],
    p_event_ids UUID[],
    p_types TEXT[],
    p_schema_versions INTEGER[],
    p_data JSONB[]
) RETURNS TABLE (item INTEGER, outcome TEXT, positions BIGINT[], next_version INTEGER, detail TEXT)
LANGUAGE plpgsql
AS $$
DECLARE
    v_items INTEGER := coalesce(array_length(p_stream_ids, 1), 0);
    v_total INTEGER := coalesce(array_length(p_event_ids, 1), 0);
    v_first INTEGER := 1;
    v_count INTEGER;
    v_stream TEXT;
    v_ids UUID[];
    v_types TEXT[];
    v_data JSONB[];
    v_stored INTEGER;
    v_all_same BOOLEAN;
    v_consecutive BOOLEAN;
    v_reused UUID;
    v_positions BIGINT[];
    v_versions INTEGER[];
    v_actual INTEGER;
    v_last BIGINT;
BEGIN
    IF v_items = 0
       OR coalesce(array_length(p_expected, 1), 0) <> v_items
       OR coalesce(array_length(p_counts, 1), 0) <> v_items
       OR coalesce(array_length(p_metadata, 1), 0) <> v_items
       OR coalesce(array_length(p_types, 1), 0) <> v_total
       OR coalesce(array_length(p_schema_versions, 1), 0) <> v_total
       OR coalesce(array_length(p_data, 1), 0) <> v_total
       OR (SELECT coalesce(sum(c), -1) <> v_total OR coalesce(bool_or(c IS NULL OR c < 1), true)
             FROM unnest(p_counts) AS c)
       OR EXISTS (SELECT 1 FROM unnest(p_stream_ids) AS s WHERE s IS NULL) THEN
        RAISE EXCEPTION USING ERRCODE = 'invalid_parameter_value',
            MESSAGE = 'event_log_append_batch: no items, arrays of different lengths or counts not matching the events';
    END IF;

    -- The same lock as event_log_append (APPEND_LOCK_KEY in libs/eventstore/src/event-store.ts), held to
    -- commit: positions become visible in increasing order.
    PERFORM pg_advisory_xact_lock(27973140997762919);

    FOR i IN 1 .. v_items LOOP
        v_count := p_counts[i];
        v_stream := p_stream_ids[i];
        v_ids := p_event_ids[v_first : v_first + v_count - 1];
        v_types := p_types[v_first : v_first + v_count - 1];
        v_data := p_data[v_first : v_first + v_count - 1];
        item := i;
        positions := NULL;
        next_version := NULL;
        detail := NULL;

        -- Idempotent retry: every id already stored, same content, consecutive in this stream, in order.
        SELECT count(*)::int,
               coalesce(bool_and(l.stream_id = v_stream AND l.type = b.type AND l.data = b.data), true),
               count(DISTINCT l.stream_version - b.ord) <= 1,
               (array_agg(l.event_id ORDER BY b.ord)
                   FILTER (WHERE NOT (l.stream_id = v_stream AND l.type = b.type AND l.data = b.data)))[1],
               array_agg(l.global_position ORDER BY b.ord),
               array_agg(l.stream_version ORDER BY b.ord)
          INTO v_stored, v_all_same, v_consecutive, v_reused, v_positions, v_versions
          FROM unnest(v_ids, v_types, v_data) WITH ORDINALITY AS b(event_id, type, data, ord)
          JOIN event_log l ON l.event_id = b.event_id;

        IF v_stored > 0 THEN
            IF v_stored <> v_count OR NOT v_all_same OR NOT v_consecutive THEN
                outcome := 'reused';
                detail := coalesce(v_reused, (
                    SELECT b.event_id
                      FROM unnest(v_ids) WITH ORDINALITY AS b(event_id, ord)
                      JOIN event_log l ON l.event_id = b.event_id
                     ORDER BY b.ord LIMIT 1))::text;
            ELSE
                outcome := 'duplicate';
                positions := v_positions;
                next_version := v_versions[v_count];
            END IF;
        ELSE
            SELECT coalesce(max(l.stream_version), 0) INTO v_actual FROM event_log l WHERE l.stream_id = v_stream;
            IF p_expected[i] IS NOT NULL AND p_expected[i] <> v_actual THEN
                outcome := 'conflict';
                next_version := v_actual;
                detail := v_actual::text;
            ELSE
                WITH inserted AS (
                    INSERT INTO event_log (event_id, stream_id, stream_version, type, schema_version, data, metadata)
                    SELECT b.event_id, v_stream, v_actual + b.ord::int, b.type, b.schema_version, b.data, p_metadata[i]
                      FROM unnest(v_ids, v_types, p_schema_versions[v_first : v_first + v_count - 1], v_data)
                           WITH ORDINALITY AS b(event_id, type, schema_version, data, ord)
                     ORDER BY b.ord
                    RETURNING global_position)
                SELECT array_agg(ins.global_position ORDER BY ins.global_position) INTO v_positions FROM inserted ins;
                outcome := 'appended';
                positions := v_positions;
                next_version := v_actual + v_count;
                v_last := v_positions[v_count];
            END IF;
        END IF;
        v_first := v_first + v_count;
        RETURN NEXT;
    END LOOP;

    -- Delivered at commit, once for the whole batch (LISTEN callctl_event_log).
    IF v_last IS NOT NULL THEN
        PERFORM pg_notify('callctl_event_log', v_last::text);
    END IF;
END;
$$;

-- event_log_append (a lone append, raising CC001 and CC002 as migration 20261123180000 documents) becomes
-- a batch of one, so the rules of an append live in event_log_append_batch alone.
CREATE OR REPLACE FUNCTION event_log_append(
    p_stream_id TEXT,
    p_expected INTEGER,
    p_event_ids UUID[],
    p_types TEXT[],
    p_schema_versions INTEGER[],
    p_data JSONB[],
    p_metadata JSONB
) RETURNS TABLE (positions BIGINT[], next_version INTEGER, duplicate BOOLEAN)
LANGUAGE plpgsql
AS $$
DECLARE
    v_row RECORD;
BEGIN
    SELECT * INTO v_row
      FROM event_log_append_batch(ARRAY[p_stream_id], ARRAY[p_expected],
                                  ARRAY[coalesce(array_length(p_event_ids, 1), 0)], ARRAY[p_metadata],
                                  p_event_ids, p_types, p_schema_versions, p_data);
    IF v_row.outcome = 'conflict' THEN
        RAISE EXCEPTION USING ERRCODE = 'CC001',
            MESSAGE = format('stream %s: expected version %s, actual %s', p_stream_id, p_expected, v_row.detail),
            DETAIL = v_row.detail;
    ELSIF v_row.outcome = 'reused' THEN
        RAISE EXCEPTION USING ERRCODE = 'CC002',
            MESSAGE = format('event id %s is already stored with other content or in another batch', v_row.detail),
            DETAIL = v_row.detail;
    END IF;
    RETURN QUERY SELECT v_row.positions, v_row.next_version, v_row.outcome = 'duplicate';
END;
$$;
