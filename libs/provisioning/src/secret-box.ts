// Trunk secrets (outbound digest passwords) must be readable by sip-edge to answer challenges, so they are
// sealed rather than hashed: AES-256-GCM under PROVISIONING_SECRETS_KEY (32 bytes, base64), shared by the
// provisioning service and sip-edge only. What PostgreSQL, the audit log and NATS KV hold is the sealed
// text `v1.<iv>.<tag>.<ciphertext>` (base64url parts).
import { ValidationError } from '@callctl/errors';
import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';

const VERSION = 'v1';
const KEY_BYTES = 32;
// 96-bit IVs are GCM's native size (NIST SP 800-38D); random ones are safe far beyond the number of
// trunk passwords a platform will ever seal under one key.
const IV_BYTES = 12;
const TAG_BYTES = 16;
// The version is authenticated too, so a v1 text cannot be passed off as a later format.
const AAD = Buffer.from(`callctl-provisioning-secret-${VERSION}`, 'utf8');

/** Throws (errors lib INVALID_ARGUMENT) unless the key is 32 bytes of base64. */
export function parseSecretsKey(base64: string): Buffer {
  const text = base64.trim();
  const key = Buffer.from(text, 'base64');
  // Buffer.from skips what is not base64; re-encoding tells a real key from text that merely decodes.
  const canonical = (b: string) => b.replace(/=+$/, '').replace(/-/g, '+').replace(/_/g, '/');
  if (key.length !== KEY_BYTES || canonical(key.toString('base64')) !== canonical(text)) {
    throw new ValidationError(
      `PROVISIONING_SECRETS_KEY must be ${KEY_BYTES} bytes of base64 (openssl rand -base64 32)`,
      { decodedBytes: key.length },
    );
  }
  return key;
}

export function sealSecret(key: Buffer, plaintext: string): string {
  const iv = randomBytes(IV_BYTES);
  const cipher = createCipheriv('aes-256-gcm', key, iv, { authTagLength: TAG_BYTES });
  cipher.setAAD(AAD);
  const ciphertext = Buffer.concat([cipher.update(plaintext, 'utf8'), cipher.final()]);
  return [VERSION, iv, cipher.getAuthTag(), ciphertext]
    .map((part) => (typeof part === 'string' ? part : part.toString('base64url')))
    .join('.');
}

/** Throws (errors lib) when the text was not sealed under this key or was altered. */
export function openSecret(key: Buffer, sealed: string): string {
  const parts = sealed.split('.');
  if (
    parts.length !== 4 ||
    parts[0] !== VERSION ||
    !parts.slice(1).every((p) => /^[A-Za-z0-9_-]*$/.test(p))
  ) {
    throw new ValidationError('not a sealed secret (expected v1.<iv>.<tag>.<ciphertext>)');
  }
  const [iv, tag, ciphertext] = parts.slice(1).map((p) => Buffer.from(p, 'base64url')) as [
    Buffer,
    Buffer,
    Buffer,
  ];
  if (iv.length !== IV_BYTES || tag.length !== TAG_BYTES) {
    throw new ValidationError('not a sealed secret (bad iv or tag length)');
  }
  try {
    const decipher = createDecipheriv('aes-256-gcm', key, iv, { authTagLength: TAG_BYTES });
    decipher.setAAD(AAD);
    decipher.setAuthTag(tag);
    return Buffer.concat([decipher.update(ciphertext), decipher.final()]).toString('utf8');
  } catch (error) {
    // GCM says only "unable to authenticate": a wrong key and an altered text look the same, by design.
    throw new ValidationError(
      'the sealed secret was not sealed under this key, or was altered',
      {},
      { cause: error },
    );
  }
}
