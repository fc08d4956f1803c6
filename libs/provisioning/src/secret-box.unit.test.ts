import { isCallctlError } from '@callctl/errors';
import fc from 'fast-check';
import { randomBytes } from 'node:crypto';
import { openSecret, parseSecretsKey, sealSecret } from './secret-box';

const key = randomBytes(32);

function thrownBy(run: () => unknown): unknown {
  try {
    run();
  } catch (error) {
    return error;
  }
  return undefined;
}

describe('parseSecretsKey', () => {
  it('reads 32 bytes of base64 (standard or url alphabet, padding optional)', () => {
    expect(parseSecretsKey(key.toString('base64'))).toEqual(key);
    expect(parseSecretsKey(` ${key.toString('base64url')}\n`)).toEqual(key);
  });

  it.each([
    ['too short', randomBytes(16).toString('base64')],
    ['too long', randomBytes(33).toString('base64')],
    ['not base64 at all', 'correct horse battery staple, a passphrase, not a key!'],
    [
      'base64 with junk inside',
      `${key.toString('base64').slice(0, 20)}!!${key.toString('base64').slice(20)}`,
    ],
    ['empty', ''],
  ])('refuses a key that is %s, without echoing it', (_why, text) => {
    const error = thrownBy(() => parseSecretsKey(text));
    expect(isCallctlError(error)).toBe(true);
    expect(error).toMatchObject({ kind: 'invalid_argument' });
    if (text.length > 0) expect((error as Error).message).not.toContain(text);
  });
});

describe('sealSecret / openSecret', () => {
  it('opens what it sealed, any text', () => {
    fc.assert(
      fc.property(fc.string({ unit: 'grapheme', maxLength: 64 }), (password) => {
        expect(openSecret(key, sealSecret(key, password))).toBe(password);
      }),
    );
  });

  it('seals as v1.<iv>.<tag>.<ciphertext> in base64url, never the plaintext, differently each time', () => {
    const a = sealSecret(key, 'carrier password');
    expect(a).toMatch(/^v1\.[A-Za-z0-9_-]{16}\.[A-Za-z0-9_-]{22}\.[A-Za-z0-9_-]+$/);
    expect(a).not.toContain('carrier');
    expect(sealSecret(key, 'carrier password')).not.toBe(a);
  });

  it('refuses to open under another key', () => {
    const error = thrownBy(() => openSecret(randomBytes(32), sealSecret(key, 'x')));
    expect(error).toMatchObject({ kind: 'invalid_argument' });
  });

  it('refuses any altered byte of the iv, tag or ciphertext', () => {
    const sealed = sealSecret(key, 'a password of some length');
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 3 }),
        fc.nat(),
        fc.integer({ min: 1, max: 255 }),
        (part, at, xor) => {
          const parts = sealed.split('.');
          const bytes = Buffer.from(parts[part]!, 'base64url');
          bytes[at % bytes.length] = bytes[at % bytes.length]! ^ xor;
          parts[part] = bytes.toString('base64url');
          expect(isCallctlError(thrownBy(() => openSecret(key, parts.join('.'))))).toBe(true);
        },
      ),
    );
  });

  it.each(['', 'plain text', 'v2.a.b.c', 'v1.a.b', 'v1.!.b.c', 'v1.AAAA.AAAA.AAAA'])(
    'refuses %j as not sealed',
    (text) => {
      expect(thrownBy(() => openSecret(key, text))).toMatchObject({ kind: 'invalid_argument' });
    },
  );
});
