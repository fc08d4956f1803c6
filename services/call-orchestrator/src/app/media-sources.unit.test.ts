// What a playback records of resolved media: the media id that plays and the provider that actually spoke.
import { PeerError, PEER_ERROR_CODES } from './errors';
import {
  mediaCommand,
  requestFingerprint,
  resolveMedia,
  type MediaSourcePorts,
  type Resolved,
} from './media-sources';
import type { CallCommand } from '../domain/call.commands';
import type { SpeechRequest } from './ports';

const asked: SpeechRequest[] = [];
const ports: MediaSourcePorts = {
  // The tts service's answer when its fallback spoke for a provider that failed.
  tts: {
    synthesize: async (r) => (
      asked.push(r),
      { mediaId: 'tts-9f', durationMs: 1840, provider: 'espeak', voice: 'en-us', fallbackFrom: 'polly' }
    ),
  },
  mediaLibrary: {
    getMedia: async (id) => {
      if (id !== 'ml-00000000000000000000000000000001')
        throw new PeerError('media-library', PEER_ERROR_CODES.notFound, `media ${id} does not exist`);
      return { mediaId: id, durationMs: 3000 };
    },
  },
};

describe('resolveMedia', () => {
  it('records speech as tts:<media id>, with the provider and voice that spoke and the one that failed', async () => {
    const speech = { text: 'Hello', provider: 'polly', voice: 'Joanna', language: '' };
    expect(await resolveMedia(ports, { kind: 'speech', speech })).toEqual({
      mediaUri: 'tts:tts-9f',
      media: { source: 'tts:espeak/en-us', durationMs: 1840, ttsFallbackFrom: 'polly' },
    });
    expect(asked).toEqual([speech]);
  });

  it('records a library file as library:<id> with its duration; an unknown one is NOT_FOUND', async () => {
    const id = 'ml-00000000000000000000000000000001';
    expect(await resolveMedia(ports, { kind: 'library', mediaId: id })).toEqual({
      mediaUri: `library:${id}`,
      media: { source: 'library', durationMs: 3000, ttsFallbackFrom: '' },
    });
    await expect(
      resolveMedia(ports, { kind: 'library', mediaId: 'ml-00000000000000000000000000000002' }),
    ).rejects.toMatchObject({ code: PEER_ERROR_CODES.notFound });
  });
});

describe('mediaCommand', () => {
  const speech = { text: 'Press 1', provider: '', voice: '', language: '' };
  const request = {
    choices: [{ kind: 'speech' as const, speech }],
    command: ([r]: readonly Resolved[]): CallCommand => ({
      type: 'PlayMedia',
      data: { legId: 'A', mediaUri: r!.mediaUri, repeat: 1, media: r!.media },
      metadata: { now: 0, newId: 'P1', idempotencyKey: 'k-say' },
    }),
  };

  it('synthesizes nothing for a key the call recorded: the retry is answered from the log', async () => {
    asked.length = 0;
    const command = await mediaCommand(ports, request, async (key) => key === 'k-say');
    expect(asked).toEqual([]);
    expect(command).toMatchObject({ type: 'PlayMedia', data: { mediaUri: 'tts:' } });
  });

  it('synthesizes the speech of a key not recorded yet', async () => {
    asked.length = 0;
    const command = await mediaCommand(ports, request, async () => false);
    expect(asked).toEqual([speech]);
    expect(command).toMatchObject({ data: { mediaUri: 'tts:tts-9f' } });
  });
});

describe('requestFingerprint', () => {
  const hello = {
    kind: 'speech' as const,
    speech: { text: 'Hello', provider: 'polly', voice: 'Joanna', language: '' },
  };

  it('digests the same request alike whatever order its fields were built in', () => {
    const reordered = {
      speech: { language: '', voice: 'Joanna', text: 'Hello', provider: 'polly' },
      kind: 'speech' as const,
    };
    expect(requestFingerprint([reordered], { repeat: 2 })).toBe(requestFingerprint([hello], { repeat: 2 }));
  });

  it('tells apart other text, SSML for text, another voice, provider, language or repeat', () => {
    const fp = requestFingerprint([hello], { repeat: 1 });
    const others = [
      requestFingerprint([{ ...hello, speech: { ...hello.speech, text: 'Hello!' } }], { repeat: 1 }),
      requestFingerprint(
        [{ ...hello, speech: { provider: 'polly', voice: 'Joanna', language: '', ssml: 'Hello' } }],
        {
          repeat: 1,
        },
      ),
      requestFingerprint([{ ...hello, speech: { ...hello.speech, voice: 'Matthew' } }], { repeat: 1 }),
      requestFingerprint([{ ...hello, speech: { ...hello.speech, provider: 'google' } }], { repeat: 1 }),
      requestFingerprint([{ ...hello, speech: { ...hello.speech, language: 'en-GB' } }], { repeat: 1 }),
      requestFingerprint([hello], { repeat: 2 }),
    ];
    expect(new Set([fp, ...others]).size).toBe(others.length + 1);
  });

  it('tells apart prompts in another order', () => {
    const menu = { kind: 'file' as const, name: 'menu.wav' };
    expect(requestFingerprint([hello, menu])).not.toBe(requestFingerprint([menu, hello]));
  });
});
