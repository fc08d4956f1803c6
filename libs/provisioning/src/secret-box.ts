// Trunk secrets (outbound digest passwords) must be readable by sip-edge to answer challenges, so they are
// sealed rather than hashed: AES-256-GCM under PROVISIONING_SECRETS_KEY (32 bytes, base64), shared by the
// provisioning service and sip-edge only. What PostgreSQL, the audit log and NATS KV hold is the sealed
// text `v1.<iv>.<tag>.<ciphertext>` (base64url parts).
// CONTRACT: signatures fixed; implementation by the libs helper.

/** Throws (errors lib INVALID_ARGUMENT) unless the key is 32 bytes of base64. */
export function parseSecretsKey(base64: string): Buffer {
  throw new Error(`not implemented: parseSecretsKey(${base64.length})`);
}

export function sealSecret(key: Buffer, plaintext: string): string {
  throw new Error(`not implemented: sealSecret(${key.length}, ${plaintext.length})`);
}

/** Throws (errors lib) when the text was not sealed under this key or was altered. */
export function openSecret(key: Buffer, sealed: string): string {
  throw new Error(`not implemented: openSecret(${key.length}, ${sealed.length})`);
}
