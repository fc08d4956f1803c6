// What an idempotency key produced, kept in the call's state so that a retried request gets the same
// answer: the request's fingerprint and the id it returned. Each capability fingerprints its requests.

//
// Some requests also carry a fingerprint of what the client sent (requestFingerprint: a Say's text, voice,
// provider...), which the fingerprint of the recorded event cannot hold: it is compared as well when both the
// recorded request and the retry have one (events recorded before it existed have none).

export type IdempotentResult = {
  readonly fingerprint: string;
  readonly resultId: string;
  /** The digest of the request as the client sent it ('' when not recorded). */
  readonly requestFingerprint?: string;
};
export type IdempotencyMap = Readonly<Record<string, IdempotentResult>>;

/** The map with `key` remembered (unchanged when the event carries no key). */
export const remember = (
  seen: IdempotencyMap,
  key: string,
  fp: string,
  resultId: string,
  requestFingerprint = '',
): IdempotencyMap =>
  key
    ? { ...seen, [key]: { fingerprint: fp, resultId, ...(requestFingerprint ? { requestFingerprint } : {}) } }
    : seen;

/** Whether a retry is the request recorded under its key: same fingerprint, and same request digest if both have one. */
export const sameRequest = (seen: IdempotentResult, fp: string, requestFingerprint = ''): boolean =>
  seen.fingerprint === fp &&
  (!seen.requestFingerprint || !requestFingerprint || seen.requestFingerprint === requestFingerprint);
