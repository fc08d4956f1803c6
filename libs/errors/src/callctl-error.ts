// The platform's one error base. A `kind` names the failure class every edge understands (gRPC status, SIP
// response); a `code` names the exact error inside its package. This module is pure on purpose: the
// orchestrator's domain extends it, and src/domain may not reach node:* or a transport library.

/** The failure classes an edge can tell apart; each maps to exactly one gRPC status (see ./grpc.ts). */
export const ERROR_KINDS = {
  /** The request itself is malformed; retrying it unchanged cannot succeed. */
  invalidArgument: 'invalid_argument',
  /** The thing the request names does not exist. */
  notFound: 'not_found',
  /** Well formed, but the target's current state does not allow it. */
  failedPrecondition: 'failed_precondition',
  /** The request collides with one already made (e.g. an idempotency key reused with other content). */
  alreadyExists: 'already_exists',
  /** Lost a race (optimistic concurrency); the caller may re-read and retry. */
  aborted: 'aborted',
  /** A peer refused or is down; retrying later may succeed. */
  unavailable: 'unavailable',
  /** A peer did not answer in time. */
  deadlineExceeded: 'deadline_exceeded',
  /** A well-formed request the platform cannot carry out yet (the message says what to use instead). */
  unimplemented: 'unimplemented',
  /** A bug or broken invariant; the message is for the log, never for the caller. */
  internal: 'internal',
} as const;
export type ErrorKind = (typeof ERROR_KINDS)[keyof typeof ERROR_KINDS];

const KIND_VALUES: ReadonlySet<string> = new Set(Object.values(ERROR_KINDS));

// A registered symbol rather than `instanceof` alone: two copies of this package (dist and src, or two
// installs) would each have their own class, and an edge must still recognise the other copy's errors.
const BRAND = Symbol.for('callctl.error');

/**
 * Base of every typed error in the platform. Subclasses set `name`, a stable `code` and a `kind`, and take
 * readonly context (call, leg, session ids) that logs can show. Keep the lower layer's error in `cause`.
 */
export abstract class CallctlError<
  TContext extends object = Readonly<Record<string, unknown>>,
> extends Error {
  abstract readonly kind: ErrorKind;
  abstract readonly code: string;
  constructor(
    message: string,
    readonly context: TContext = {} as TContext,
    options?: ErrorOptions,
  ) {
    super(message, options);
    // Not enumerable, so it stays out of logs and JSON.
    Object.defineProperty(this, BRAND, { value: true });
  }
}

/** True for any CallctlError, from this copy of the package or another one. */
export function isCallctlError(error: unknown): error is CallctlError {
  if (typeof error !== 'object' || error === null || !(BRAND in error)) return false;
  const { kind, code } = error as { kind?: unknown; code?: unknown };
  return typeof kind === 'string' && KIND_VALUES.has(kind) && typeof code === 'string';
}

/** The kind of a typed error; anything else (a TypeError, a driver error) is `internal`. */
export function errorKindOf(error: unknown): ErrorKind {
  return isCallctlError(error) ? error.kind : ERROR_KINDS.internal;
}
