// The vocabulary every service shares (STYLE 10): one class per failure class, each with its stable `code`
// and its `kind`. A service binds the context it carries (call and leg ids, a media session) by
// subclassing with one line, and adds only the errors that are its own.
import { CallctlError, ERROR_KINDS } from './callctl-error.js';

type Context = object;

/** The request is malformed (a missing id, a bad URI, a status out of range); retrying it cannot help. */
export class ValidationError<C extends Context = Readonly<Record<string, unknown>>> extends CallctlError<C> {
  override readonly name: string = 'ValidationError';
  readonly code: string = 'VALIDATION';
  readonly kind = ERROR_KINDS.invalidArgument;
}

/** What the request names does not exist (a call, a leg, a session, a file). */
export class NotFoundError<C extends Context = Readonly<Record<string, unknown>>> extends CallctlError<C> {
  override readonly name: string = 'NotFoundError';
  readonly code: string = 'NOT_FOUND';
  readonly kind = ERROR_KINDS.notFound;
}

/** Well formed, but the target's state does not allow it; the message says which state and why. */
export class IllegalStateError<
  C extends Context = Readonly<Record<string, unknown>>,
> extends CallctlError<C> {
  override readonly name: string = 'IllegalStateError';
  readonly code: string = 'ILLEGAL_STATE';
  readonly kind = ERROR_KINDS.failedPrecondition;
}

/** A peer (the SIP engine, rtpengine, NATS, a media URL's server) refused or cannot be reached. */
export class UnavailableError<C extends Context = Readonly<Record<string, unknown>>> extends CallctlError<C> {
  override readonly name: string = 'UnavailableError';
  readonly code: string = 'UNAVAILABLE';
  readonly kind = ERROR_KINDS.unavailable;
}

/** A peer did not answer in time. */
export class TimeoutError<C extends Context = Readonly<Record<string, unknown>>> extends CallctlError<C> {
  override readonly name: string = 'TimeoutError';
  readonly code: string = 'TIMEOUT';
  readonly kind = ERROR_KINDS.deadlineExceeded;
}

/** The request names something this server version does not do (a provider not configured, say). */
export class UnimplementedError<
  C extends Context = Readonly<Record<string, unknown>>,
> extends CallctlError<C> {
  override readonly name: string = 'UnimplementedError';
  readonly code: string = 'UNIMPLEMENTED';
  readonly kind = ERROR_KINDS.unimplemented;
}
