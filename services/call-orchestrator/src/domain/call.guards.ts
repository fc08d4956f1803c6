// Look-ups and checks shared by the decide functions: each throws the domain error that says why.
import type { CallCommand } from './call.commands';
import type { CallEvent } from './call.events';
import type { CallState, Leg } from './call.state';
import { sameRequest } from './idempotency';
import { IdempotencyConflictError, IllegalStateError, NotFoundError, ValidationError } from './errors';

/**
 * A time after which a process manager must act, computed from the command's `now`. The app arms a timer
 * and, when it fires, sends the command named by `kind` (RecordLegEnded with NO_ANSWER or MAX_DURATION,
 * RecordCollectTimeout); the domain ignores a stale one. After a restart the app re-arms them from the
 * recorded times of the events (LegInitiated, the first LegAnswered, the collection's last event).
 */
export type Deadline =
  | { readonly kind: 'ringTimeout'; readonly legId: string; readonly atMs: number }
  | { readonly kind: 'maxDuration'; readonly atMs: number }
  | {
      readonly kind: 'collectTimeout';
      readonly collectId: string;
      readonly expectedDigits: number;
      readonly atMs: number;
    }
  /** A collection's prompt still recorded as playing this long after it started is taken as lost (prompts.ts). */
  /** A phone's REFER the application did not decide in time: the configured default applies. */
  | { readonly kind: 'transferDecision'; readonly transferId: string; readonly atMs: number }
  /**
   * REFER mode: the phone's new call has had its time (sip-edge's own timer reports 408 at the transfer's
   * timeout) and no final outcome reached the log (sip-edge restarted, or a crash before the REFER left).
   */
  | { readonly kind: 'referOutcome'; readonly transferId: string; readonly atMs: number }
  | {
      readonly kind: 'promptTimeout';
      readonly collectId: string;
      readonly playbackId: string;
      readonly atMs: number;
    };

/**
 * What decide returns: the events to append (none for a duplicate fact or a replay), the id the request
 * produced, and the deadlines its events start.
 */
export type Decision = {
  readonly events: readonly CallEvent[];
  readonly resultId?: string;
  readonly deadlines?: readonly Deadline[];
};
export type Active = Extract<CallState, { status: 'active' }>;
export type Cmd<T extends CallCommand['type']> = Extract<CallCommand, { type: T }>;

export function active(state: CallState): Active {
  if (state.status === 'none') throw new NotFoundError('the call does not exist');
  if (state.status === 'ended')
    throw new IllegalStateError(`call ${state.callId} has ended`, { callId: state.callId });
  return state;
}
export function leg(s: Active, legId: string): Leg {
  const l = s.legs[legId];
  if (!l)
    throw new NotFoundError(`leg ${legId} does not exist in call ${s.callId}`, { callId: s.callId, legId });
  return l;
}
export function answeredLeg(s: Active, legId: string, action: string): Extract<Leg, { status: 'answered' }> {
  const l = leg(s, legId);
  if (l.status !== 'answered')
    throw new IllegalStateError(`leg ${legId} is ${l.status}; only an answered leg can ${action}`, {
      callId: s.callId,
      legId,
    });
  return l;
}
/** Returns the earlier result when the key was seen with the same request; throws when with another. */
export function replay(
  s: Active,
  key: string | undefined,
  fp: string,
  requestFingerprint = '',
): Decision | undefined {
  if (!key) throw new ValidationError('an idempotency key is required', { callId: s.callId });
  const seen = s.idempotency[key];
  if (!seen) return undefined;
  if (!sameRequest(seen, fp, requestFingerprint))
    throw new IdempotencyConflictError(`idempotency key ${key} was used for a different request`, {
      callId: s.callId,
    });
  return { events: [], resultId: seen.resultId };
}

/**
 * A new outbound leg, for CreateCall's first leg and for Dial alike: its DialRequested event and, when it
 * may ring only so long, the ring-timeout deadline.
 */
export function requestLeg(
  data: Extract<CallEvent, { type: 'DialRequested' }>['data'],
  now: number,
): { event: CallEvent; deadlines: Deadline[] } {
  return {
    event: { type: 'DialRequested', data },
    deadlines:
      data.ringTimeoutMs > 0
        ? [{ kind: 'ringTimeout', legId: data.legId, atMs: now + data.ringTimeoutMs }]
        : [],
  };
}
