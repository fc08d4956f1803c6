// Stateless nonces for the registrar (research §8): a nonce is its issue time and an HMAC of it under a
// secret every sip-edge instance shares, so any instance can check any nonce, and an old one is answered
// with stale=true. Replays within a nonce's life are caught by the nonce count (NonceCounts).
import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';

export type NonceCheck = 'valid' | 'stale' | 'invalid';

// Layout (base64url of 30 bytes, 40 characters): issue time in ms (6 bytes, big endian, good until the
// year 10889), 8 random bytes so two nonces issued in the same millisecond differ (each has its own nonce
// counts), then the first 16 bytes of HMAC-SHA256(secret, realm NUL time salt).
const TIME_BYTES = 6;
const SALT_BYTES = 8;
const MAC_BYTES = 16;
const NONCE_BYTES = TIME_BYTES + SALT_BYTES + MAC_BYTES;
const NONCE_CHARS = Math.ceil((NONCE_BYTES * 4) / 3);

export function issueNonce(secret: string, nowMs: number, realm: string): string {
  const body = Buffer.alloc(TIME_BYTES + SALT_BYTES);
  body.writeUIntBE(Math.max(0, Math.floor(nowMs)), 0, TIME_BYTES);
  randomBytes(SALT_BYTES).copy(body, TIME_BYTES);
  return Buffer.concat([body, mac(secret, realm, body)]).toString('base64url');
}

/** valid: ours, for this realm, younger than ttlMs; stale: ours but older; invalid: not ours. */
export function checkNonce(
  secret: string,
  nonce: string,
  nowMs: number,
  ttlMs: number,
  realm: string,
): NonceCheck {
  if (nonce.length !== NONCE_CHARS || !/^[A-Za-z0-9_-]+$/.test(nonce)) return 'invalid';
  const bytes = Buffer.from(nonce, 'base64url');
  if (bytes.length !== NONCE_BYTES) return 'invalid';
  const body = bytes.subarray(0, TIME_BYTES + SALT_BYTES);
  if (!timingSafeEqual(bytes.subarray(TIME_BYTES + SALT_BYTES), mac(secret, realm, body))) return 'invalid';
  // A nonce from a little in the future is another instance's clock running ahead: still ours and fresh.
  return nowMs - body.readUIntBE(0, TIME_BYTES) > ttlMs ? 'stale' : 'valid';
}

function mac(secret: string, realm: string, body: Buffer): Buffer {
  return createHmac('sha256', secret)
    .update(realm, 'utf8')
    .update('\0')
    .update(body)
    .digest()
    .subarray(0, MAC_BYTES);
}

/**
 * The highest nonce count seen per nonce (bounded: the oldest forgotten first, a nonce lives ttlMs anyway).
 * A count not above the highest is a replay.
 */
export class NonceCounts {
  // A Map iterates in insertion order, so its first key is the nonce seen first: the one to forget.
  private readonly highest = new Map<string, number>();

  constructor(readonly capacity = 100_000) {}

  /** true and remembered when `nc` is above every count seen for the nonce; false for a replay. */
  accept(nonce: string, nc: number): boolean {
    if (!Number.isSafeInteger(nc) || nc < 1) return false;
    const last = this.highest.get(nonce);
    if (last !== undefined) {
      if (nc <= last) return false;
      this.highest.set(nonce, nc);
      return true;
    }
    while (this.highest.size >= this.capacity) {
      const oldest = this.highest.keys().next();
      if (oldest.done === true) break;
      this.highest.delete(oldest.value);
    }
    this.highest.set(nonce, nc);
    return true;
  }

  /** How many nonces are remembered (tests, metrics). */
  get size(): number {
    return this.highest.size;
  }
}
