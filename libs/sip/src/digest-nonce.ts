// Stateless nonces for the registrar (research §8): a nonce is its issue time and an HMAC of it under a
// secret every sip-edge instance shares, so any instance can check any nonce, and an old one is answered
// with stale=true. Replays within a nonce's life are caught by the nonce count (NonceCounts).
// CONTRACT: signatures fixed; implementation by the libs helper.

export type NonceCheck = 'valid' | 'stale' | 'invalid';

export function issueNonce(secret: string, nowMs: number, realm: string): string {
  throw new Error(`not implemented: issueNonce(${secret.length}, ${nowMs}, ${realm})`);
}

/** valid: ours, for this realm, younger than ttlMs; stale: ours but older; invalid: not ours. */
export function checkNonce(
  secret: string,
  nonce: string,
  nowMs: number,
  ttlMs: number,
  realm: string,
): NonceCheck {
  throw new Error(`not implemented: checkNonce(${secret.length}, ${nonce}, ${nowMs}, ${ttlMs}, ${realm})`);
}

/**
 * The highest nonce count seen per nonce (bounded: the oldest forgotten first, a nonce lives ttlMs anyway).
 * A count not above the highest is a replay.
 */
export class NonceCounts {
  constructor(readonly capacity = 100_000) {}
  /** true and remembered when `nc` is above every count seen for the nonce; false for a replay. */
  accept(nonce: string, nc: number): boolean {
    throw new Error(`not implemented: NonceCounts.accept(${nonce}, ${nc}, ${this.capacity})`);
  }
}
