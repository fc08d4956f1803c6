import { mediaIdOf, MEDIA_ID_PATTERN, type SpeechKey } from './media-id';

const key: SpeechKey = {
  provider: 'espeak',
  voice: 'en-us',
  language: '',
  inputKind: 'text',
  input: 'Hello.',
  sampleRateHz: 8000,
};

describe('mediaIdOf', () => {
  it('is a stable content address of the key', () => {
    expect(mediaIdOf(key)).toMatch(MEDIA_ID_PATTERN);
    expect(mediaIdOf({ ...key })).toBe(mediaIdOf(key));
  });

  it('changes with every part of the key', () => {
    const variants: SpeechKey[] = [
      { ...key, provider: 'polly' },
      { ...key, voice: 'en-gb' },
      { ...key, language: 'en-US' },
      { ...key, inputKind: 'ssml' },
      { ...key, input: 'Hello!' },
      { ...key, sampleRateHz: 16000 },
    ];
    const ids = new Set([key, ...variants].map(mediaIdOf));
    expect(ids.size).toBe(variants.length + 1);
  });

  it('cannot be confused by moving text between fields', () => {
    expect(mediaIdOf({ ...key, voice: 'en-us', input: 'x' })).not.toBe(
      mediaIdOf({ ...key, voice: 'en-usx', input: '' }),
    );
  });
});
