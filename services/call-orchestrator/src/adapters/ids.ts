import { randomUUID } from 'node:crypto';
import { sha1Uuid } from '@callctl/service';
import type { IdSource } from '../app/ports.js';

/** Fixed namespace of the name-based ids, so the same parts give the same id in every process. */
const NAMESPACE = 'callctl.call-orchestrator.v1';

/**
 * UUIDv7 (RFC 9562): 48-bit ms time, then random bits; ids sort roughly by creation time. The random bits
 * come from randomUUID, which draws on a cached entropy pool (randomBytes per id was ~1% of the
 * orchestrator's CPU): a v4 UUID's 74 bits outside the time field, version nibble and variant stay random.
 */
export function uuidv7(nowMs: number): string {
  const time = Math.floor(nowMs).toString(16).padStart(12, '0');
  const random = randomUUID(); // xxxxxxxx-xxxx-4xxx-Vxxx-xxxxxxxxxxxx, V the RFC 9562 variant (10xx)
  return `${time.slice(0, 8)}-${time.slice(8, 12)}-7${random.slice(15, 18)}-${random.slice(19)}`;
}

/** A name-based UUID (version 5 layout, SHA-1) of the parts. */
export function nameUuid(...parts: string[]): string {
  return sha1Uuid(NAMESPACE, '\0', parts.join('\0'));
}

export const systemIds = (clock: () => number): IdSource => ({
  next: () => uuidv7(clock()),
  fromName: nameUuid,
});
