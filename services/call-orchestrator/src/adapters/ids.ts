import { createHash, randomUUID } from 'node:crypto';
import type { IdSource } from '../app/ports.js';

/** Fixed namespace of the name-based ids, so the same parts give the same id in every process. */
const NAMESPACE = 'callctl.call-orchestrator.v1';

function format(bytes: Buffer): string {
  const hex = bytes.subarray(0, 16).toString('hex');
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20, 32)}`;
}

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
  const bytes = createHash('sha1').update(NAMESPACE).update('\0').update(parts.join('\0')).digest();
  bytes[6] = (bytes[6]! & 0x0f) | 0x50;
  bytes[8] = (bytes[8]! & 0x3f) | 0x80;
  return format(bytes);
}

export const systemIds = (clock: () => number): IdSource => ({
  next: () => uuidv7(clock()),
  fromName: nameUuid,
});
