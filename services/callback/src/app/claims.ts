// Ids and idempotency (CONTRACT "Ids and idempotency"): the key of a request, its claim stream, the callback
// ids a key's claims give, and the digest that tells a replay from a different request under the same key.
import { createHash } from 'node:crypto';
import { DEFAULT_USER1_ANNOUNCEMENT } from './announcements.js';
import type { CallbackOrigin, CallbackSpec } from './ports.js';

const sha256 = (text: string) => createHash('sha256').update(text).digest('hex');

export const keyOf = (origin: CallbackOrigin) =>
  origin.kind === 'grpc' ? `grpc:${origin.idempotencyKey}` : `iif:${origin.peerName}:${origin.iifId}`;

export const claimStreamId = (key: string) => `callbackkey-${sha256(key).slice(0, 40)}`;

/** Deterministic, so a crash between the claim and CallbackRequested is healed by the retry. */
export const callbackIdOf = (key: string, claimNumber: number) =>
  `cb${sha256(key).slice(0, 16)}-${claimNumber}`;

export const callbackStreamId = (callbackId: string) => `callback-${callbackId}`;

export const callbackIdOfStream = (streamId: string) =>
  streamId.startsWith('callback-') ? streamId.slice('callback-'.length) : undefined;

/** Fields that mean the same whether left out or given as their default count as the same request. */
export function requestDigest(spec: CallbackSpec): string {
  return sha256(
    JSON.stringify([
      spec.user1,
      spec.user2,
      spec.maxDurationS,
      spec.annId1 ?? DEFAULT_USER1_ANNOUNCEMENT,
      spec.annId2 ?? '',
      spec.annDigits2 ?? '',
      spec.caller ?? '',
      spec.clientState ?? '',
    ]),
  );
}

/** What a key already claimed means for a new request under it (CONTRACT, the rules on a key claimed). */
export type ClaimVerdict = 'same' | 'new-claim' | 'duplicate';

export interface LatestClaim {
  digest: string;
  /** The claimed callback is over (ended or failed), and when its end was recorded. */
  over: boolean;
  overAtMs?: number;
}

export function judgeClaim(
  origin: CallbackOrigin['kind'],
  latest: LatestClaim,
  digest: string,
  nowMs: number,
  retransmissionWindowMs: number,
): ClaimVerdict {
  if (latest.digest === digest) {
    // An AS may reuse its ids: once the earlier callback is over and past retransmissions, it is a new one.
    const stale =
      origin === 'iif' &&
      latest.over &&
      latest.overAtMs !== undefined &&
      nowMs - latest.overAtMs > retransmissionWindowMs;
    return stale ? 'new-claim' : 'same';
  }
  if (origin === 'grpc') return 'duplicate';
  return latest.over ? 'new-claim' : 'duplicate';
}
