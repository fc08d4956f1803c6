import { VALIDATION_REASONS, ValidationError } from './errors.js';

/**
 * Stream id grammar: `<category>-<id>`. The category is lower-case letters (it names the aggregate);
 * the id is 1-100 characters of [A-Za-z0-9_.:-]. The charset keeps ids safe as NATS subject tokens
 * (no `.`-free requirement is needed for the category; the call id must not contain `.`, `*` or `>`,
 * see callStreamId) and readable in psql.
 */
const STREAM_ID = /^[a-z][a-z0-9]{0,31}-[A-Za-z0-9_.:-]{1,100}$/;
/** A call id becomes a NATS subject token, so it may not contain `.`, `*`, `>` or whitespace. */
const CALL_ID = /^[A-Za-z0-9_-]{1,100}$/;
const CALL_PREFIX = 'call-';

export function assertValidStreamId(streamId: string): void {
  if (!STREAM_ID.test(streamId)) {
    throw new ValidationError(
      VALIDATION_REASONS.invalidStreamId,
      `invalid stream id ${JSON.stringify(streamId)}: expected <category>-<id>`,
    );
  }
}

/** The one place a call's stream id is spelled. */
export function callStreamId(callId: string): string {
  if (!CALL_ID.test(callId)) {
    throw new ValidationError(
      VALIDATION_REASONS.invalidStreamId,
      `invalid call id ${JSON.stringify(callId)}`,
    );
  }
  return `${CALL_PREFIX}${callId}`;
}

/** The call id of a `call-<callId>` stream, or undefined for another category. */
export function callIdOfStream(streamId: string): string | undefined {
  if (!streamId.startsWith(CALL_PREFIX)) return undefined;
  const callId = streamId.slice(CALL_PREFIX.length);
  return CALL_ID.test(callId) ? callId : undefined;
}
