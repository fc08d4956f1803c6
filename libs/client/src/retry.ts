// When a call may be repeated, and how long to wait before doing so (STYLE 14: retry only idempotent
// calls, under a named policy, only for listed errors).

/** How a retried call waits between attempts; the call's deadline bounds them all. */
export interface RetryPolicy {
  /** Attempts in all, the first included; 1 turns retries off. @default 4 */
  maxAttempts: number;
  /** Wait before the second attempt. @default 100 */
  initialBackoffMs: number;
  /** Each wait is the previous one times this. @default 2 */
  backoffFactor: number;
  /** No wait is longer. @default 2000 */
  maxBackoffMs: number;
  /** Each wait is shortened by up to this share, at random, so clients do not retry in step. @default 0.2 */
  jitter: number;
}

export const DEFAULT_RETRY_POLICY: Readonly<RetryPolicy> = {
  maxAttempts: 4,
  initialBackoffMs: 100,
  backoffFactor: 2,
  maxBackoffMs: 2000,
  jitter: 0.2,
};

/** No retries: every call is made once (a benchmark that counts failures wants to see each one). */
export const NO_RETRIES: Readonly<RetryPolicy> = { ...DEFAULT_RETRY_POLICY, maxAttempts: 1 };

/**
 * The wait before attempt `attempt + 1` (attempt counts from 1), or undefined when the policy allows no
 * more. `random` is in [0, 1).
 */
export function backoffMs(policy: RetryPolicy, attempt: number, random: number): number | undefined {
  if (attempt >= policy.maxAttempts) return undefined;
  const full = Math.min(policy.maxBackoffMs, policy.initialBackoffMs * policy.backoffFactor ** (attempt - 1));
  return Math.round(full * (1 - policy.jitter * random));
}

/**
 * Methods that may be repeated whatever their request: reads, and the commands the API documents as safe
 * to repeat (Hangup of an ended leg, StopMedia of a finished playback, StopEcho without an echo and
 * DeleteMedia of a deleted file, StopRecording of a stopped recording and
 * DeleteRecording of a deleted one, StopMonitor of an ended monitor and SetMonitorMode to the mode it has are
 * OK, as is CancelCallback of a callback already over). UploadMedia is not: a repeat stores a second copy.
 */
export const ALWAYS_IDEMPOTENT: ReadonlySet<string> = new Set([
  'getCall',
  'listCalls',
  'hangup',
  'stopMedia',
  'stopEcho',
  'listMedia',
  'getMedia',
  'deleteMedia',
  'stopRecording',
  'stopMonitor',
  'setMonitorMode',
  'getRecording',
  'listRecordings',
  'deleteRecording',
  'getCallback',
  'listCallbacks',
  'cancelCallback',
  'getCallbackStats',
  // Provisioning reads (its puts and deletes are not: a repeat would report created=false or NOT_FOUND).
  'getTrunk',
  'listTrunks',
  'listDomains',
  'getUser',
  'listUsers',
  'listRoutes',
  'resolveRoute',
  'listAudit',
  'listRegistrations',
  'getMediaResources',
]);

/** A call may be repeated when its method always may, or when its request carries an idempotency key. */
export function isIdempotent(method: string, request: object): boolean {
  if (ALWAYS_IDEMPOTENT.has(method)) return true;
  const key = (request as { idempotencyKey?: unknown }).idempotencyKey;
  return typeof key === 'string' && key !== '';
}
