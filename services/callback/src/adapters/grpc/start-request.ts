// StartCallbackRequest -> CallbackSpec: the syntax checks of the gRPC interface (CONTRACT "Request checks"),
// each refusal naming the field and its rule. The core checks again and resolves (dial plan, announcements,
// the duration limit); this is only what a request can be told without the service's configuration.
import { ValidationError } from '@callctl/errors';
import type { callback } from '@callctl/proto';
import type { CallbackSpec } from '../../app/ports.js';

/** Users as the IIF takes them (seed 004: under 32 characters); `#` is percent-encoded in the URI. */
const USER = /^[0-9A-Za-z+*#._-]{1,31}$/;
const ANNOUNCEMENT_ID = /^[0-9]{8}$/;
const DIGITS = /^[0-9]{1,31}$/;
export const MAX_IDEMPOTENCY_KEY_CHARS = 128;
export const MAX_CLIENT_STATE_BYTES = 1024;

const invalid = (field: string, rule: string, got?: string) =>
  new ValidationError(`${field}: ${rule}${got === undefined ? '' : ` (got ${JSON.stringify(got)})`}`, {
    field,
  });

function user(field: string, value: string): string {
  if (!USER.test(value)) throw invalid(field, 'expected 1-31 characters of 0-9 A-Z a-z + * # . _ -', value);
  return value;
}

function optional(field: string, value: string, pattern: RegExp, rule: string): string | undefined {
  if (value === '') return undefined;
  if (!pattern.test(value)) throw invalid(field, rule, value);
  return value;
}

/** The request's syntax checked; throws a ValidationError (INVALID_ARGUMENT) naming the first bad field. */
export function startSpecOf(request: callback.StartCallbackRequest): {
  spec: CallbackSpec;
  idempotencyKey: string;
} {
  const key = request.idempotencyKey;
  if (key.length === 0) throw invalid('idempotency_key', 'required (1-128 characters)');
  if (key.length > MAX_IDEMPOTENCY_KEY_CHARS)
    throw invalid('idempotency_key', `at most ${MAX_IDEMPOTENCY_KEY_CHARS} characters, got ${key.length}`);
  const clientStateBytes = Buffer.byteLength(request.clientState, 'utf8');
  if (clientStateBytes > MAX_CLIENT_STATE_BYTES)
    throw invalid('client_state', `at most ${MAX_CLIENT_STATE_BYTES} bytes, got ${clientStateBytes}`);
  const annId1 = optional('ann_id1', request.annId1, ANNOUNCEMENT_ID, 'expected exactly 8 digits');
  const annId2 = optional('ann_id2', request.annId2, ANNOUNCEMENT_ID, 'expected exactly 8 digits');
  const annDigits2 = optional('ann_digits2', request.annDigits2, DIGITS, 'expected 1-31 digits 0-9');
  const spec: CallbackSpec = {
    user1: user('user1', request.user1),
    user2: user('user2', request.user2),
    maxDurationS: request.maxDurationS,
    ...(annId1 ? { annId1 } : {}),
    ...(annId2 ? { annId2 } : {}),
    ...(annDigits2 ? { annDigits2 } : {}),
    ...(request.caller ? { caller: request.caller } : {}),
    ...(request.clientState ? { clientState: request.clientState } : {}),
  };
  return { spec, idempotencyKey: key };
}
