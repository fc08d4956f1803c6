// What an idempotency key produced, kept in the call's state so that a retried request gets the same
// answer: the request's fingerprint and the id it returned. Each capability fingerprints its requests.

export type IdempotentResult = { readonly fingerprint: string; readonly resultId: string };
export type IdempotencyMap = Readonly<Record<string, IdempotentResult>>;

/** The map with `key` remembered (unchanged when the event carries no key). */
export const remember = (seen: IdempotencyMap, key: string, fp: string, resultId: string): IdempotencyMap =>
  key ? { ...seen, [key]: { fingerprint: fp, resultId } } : seen;
