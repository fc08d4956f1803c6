-- event_log_append: the whole append in one statement, so a writer pays one round trip instead of six
-- (BEGIN, lock, duplicate check, head version, insert, COMMIT). @callctl/eventstore calls it as
--   SELECT positions::text[], next_version, duplicate FROM event_log_append($1, ..., $7)
-- in autocommit. The implicit transaction of that statement is the append transaction, so the advisory lock
-- below is held from drawing the first global position until that transaction has committed.
--
-- p_expected: NULL = any version, 0 = the stream must not exist yet, N = the version of its last event.
-- Errors (SQLSTATE class CC, for callctl, unused by PostgreSQL):
--   CC001 the version of the stream is not p_expected, and DETAIL is the actual version (an integer).
--   CC002 an event id is already stored with other content, in another stream or in another batch, and
--         DETAIL is that event id.
-- No semicolons or quotes in these comments: Prisma splits a migration into statements on semicolons.
CREATE FUNCTION event_log_append(
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
    v_count INTEGER := coalesce(array_length(p_event_ids, 1), 0);
    v_stored INTEGER;
    v_all_same BOOLEAN;
    v_consecutive BOOLEAN;
    v_reused UUID;
    v_positions BIGINT[];
    v_versions INTEGER[];
    v_actual INTEGER;
BEGIN
    IF v_count = 0
       OR coalesce(array_length(p_types, 1), 0) <> v_count
       OR coalesce(array_length(p_schema_versions, 1), 0) <> v_count
       OR coalesce(array_length(p_data, 1), 0) <> v_count THEN
        RAISE EXCEPTION USING ERRCODE = 'invalid_parameter_value',
            MESSAGE = 'event_log_append: the batch is empty or its arrays differ in length';
    END IF;

    -- Serialises appends until commit, so global positions become visible in increasing order and a
    -- reader reading `global_position > checkpoint` never skips a late commit. The key is APPEND_LOCK_KEY
    -- in libs/eventstore/src/event-store.ts (0x63616c6c6c6f67, "calllog"), and both must change together.
    PERFORM pg_advisory_xact_lock(27973140997762919);

    -- Idempotent retry: every id already stored, same content, consecutive in this stream, in order.
    SELECT count(*)::int,
           coalesce(bool_and(l.stream_id = p_stream_id AND l.type = b.type AND l.data = b.data), true),
           count(DISTINCT l.stream_version - b.ord) <= 1,
           (array_agg(l.event_id ORDER BY b.ord)
               FILTER (WHERE NOT (l.stream_id = p_stream_id AND l.type = b.type AND l.data = b.data)))[1],
           array_agg(l.global_position ORDER BY b.ord),
           array_agg(l.stream_version ORDER BY b.ord)
      INTO v_stored, v_all_same, v_consecutive, v_reused, v_positions, v_versions
      FROM unnest(p_event_ids, p_types, p_data) WITH ORDINALITY AS b(event_id, type, data, ord)
      JOIN event_log l ON l.event_id = b.event_id;

    IF v_stored > 0 THEN
        IF v_stored <> v_count OR NOT v_all_same OR NOT v_consecutive THEN
            v_reused := coalesce(v_reused, (
                SELECT b.event_id
                  FROM unnest(p_event_ids) WITH ORDINALITY AS b(event_id, ord)
                  JOIN event_log l ON l.event_id = b.event_id
                 ORDER BY b.ord LIMIT 1));
            RAISE EXCEPTION USING ERRCODE = 'CC002',
                MESSAGE = format('event id %s is already stored with other content or in another batch', v_reused),
                DETAIL = v_reused::text;
        END IF;
        RETURN QUERY SELECT v_positions, v_versions[v_count], true;
        RETURN;
    END IF;

    SELECT coalesce(max(l.stream_version), 0) INTO v_actual FROM event_log l WHERE l.stream_id = p_stream_id;
    IF p_expected IS NOT NULL AND p_expected <> v_actual THEN
        RAISE EXCEPTION USING ERRCODE = 'CC001',
            MESSAGE = format('stream %s: expected version %s, actual %s', p_stream_id, p_expected, v_actual),
            DETAIL = v_actual::text;
    END IF;

    WITH inserted AS (
        INSERT INTO event_log (event_id, stream_id, stream_version, type, schema_version, data, metadata)
        SELECT b.event_id, p_stream_id, v_actual + b.ord::int, b.type, b.schema_version, b.data, p_metadata
          FROM unnest(p_event_ids, p_types, p_schema_versions, p_data)
               WITH ORDINALITY AS b(event_id, type, schema_version, data, ord)
         ORDER BY b.ord
        RETURNING global_position)
    SELECT array_agg(i.global_position ORDER BY i.global_position) INTO v_positions FROM inserted i;

    -- Delivered at commit, to the subscriptions and the relay (LISTEN callctl_event_log).
    PERFORM pg_notify('callctl_event_log', v_positions[v_count]::text);
    RETURN QUERY SELECT v_positions, v_actual + v_count, false;
END;
$$;
