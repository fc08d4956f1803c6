import type { callControl, callEvents } from '@callctl/proto';
import { resolveMedia } from '../../app/media-sources.js';
import { ValidationError } from '../../domain/errors.js';
import { nameUuid } from '../ids.js';
import * as requests from './requests.js';

const stamp = { clock: () => 42, ids: { next: () => 'fresh', fromName: nameUuid } };
const play = (media: Parameters<typeof requests.playMedia>[0]['media']) =>
  requests.playMedia({ callId: 'c', legId: 'l', media, repeat: 0, idempotencyKey: 'k' }, stamp);
/** Ports a URL or a file of the media files directory never calls. */
const noPeers = {
  tts: { synthesize: () => Promise.reject(new Error('not called')) },
  mediaLibrary: { getMedia: () => Promise.reject(new Error('not called')) },
};
/** The command of a media request, its choices resolved as the app resolves URLs and files. */
const commandOf = async (r: requests.MediaRequest) =>
  r.command(await Promise.all(r.choices.map((c) => resolveMedia(noPeers, c))));
const speech = (input: callControl.Speech['input']): callControl.Speech => ({
  input,
  voice: '',
  provider: '',
  language: '',
});
const sayRequest = (sp: callControl.Speech | undefined) =>
  requests.say({ callId: 'c', legId: 'l', speech: sp, repeat: 0, idempotencyKey: 'k' }, stamp);

describe('CallControl requests as commands', () => {
  it('derives the call id of CreateCall from its key, and the leg id from both', () => {
    const r = {
      toUri: 'sip:bob@127.0.0.1',
      fromUri: 'sip:app@127.0.0.1',
      ringTimeoutMs: 0,
      maxDurationMs: 0,
      clientState: '',
      idempotencyKey: 'k1',
    };
    const first = requests.createCall(r, stamp);
    expect(requests.createCall(r, stamp)).toEqual(first);
    expect(first.callId).toBe(nameUuid('call', 'k1'));
    expect(first.command.metadata).toEqual({
      now: 42,
      newId: nameUuid(first.callId, 'leg', 'k1'),
      idempotencyKey: 'k1',
    });
    expect(first.command.data).toMatchObject({ ringTimeoutMs: 30_000 });
    expect(requests.createCall({ ...r, idempotencyKey: 'k2' }, stamp).callId).not.toBe(first.callId);
  });

  const createCallTo = (toUri: string) =>
    requests.createCall(
      { toUri, fromUri: 'sip:a@b', ringTimeoutMs: 0, maxDurationMs: 0, clientState: '', idempotencyKey: 'k' },
      stamp,
    );
  const dialTo = (toUri: string) =>
    requests.dial(
      { callId: 'c', bridgeWithLegId: '', toUri, fromUri: '', ringTimeoutMs: 0, idempotencyKey: 'd' },
      stamp,
    );

  it.each([
    ['sip:bob@', /not a valid number, SIP URI or tel: URI/],
    ['bob', /not a valid number, SIP URI or tel: URI/],
    ['alice@example.com', /not a valid number, SIP URI or tel: URI/],
    ['mailto:bob@example.com', /not a valid number, SIP URI or tel: URI/],
    ['+44 20 7123 4567', /not a valid number, SIP URI or tel: URI/],
    ['', /to_uri is required/],
  ])('refuses the destination %j', (toUri, message) => {
    expect(() => createCallTo(toUri)).toThrow(message);
    expect(() => dialTo(toUri)).toThrow(message);
  });

  it.each([
    'sip:bob@127.0.0.1:5080',
    'sips:alice@pbx.example.com',
    'sip:alice@pbx.example.com',
    'tel:+442071234567',
    '+442071234567',
    '02071234567',
    '*98#',
  ])('takes %s as given for sip-edge to route (a SIP URI, a platform user, a number)', (toUri) => {
    expect(createCallTo(toUri).command.data).toMatchObject({ toUri });
    expect(dialTo(toUri).command.data).toMatchObject({ toUri });
  });

  it('plays an http(s) URL as it is and a file id as file:<id>, each with its source', async () => {
    expect((await commandOf(play({ $case: 'url', url: 'https://127.0.0.1/a.wav' }))).data).toMatchObject({
      mediaUri: 'https://127.0.0.1/a.wav',
      media: { source: 'url' },
    });
    expect((await commandOf(play({ $case: 'fileId', fileId: 'welcome.wav' }))).data).toMatchObject({
      mediaUri: 'file:welcome.wav',
      media: { source: 'file' },
    });
  });

  it('takes a file id of the form ml-<32 hex> as a media library id, other ids as file names', () => {
    const id = `ml-${'0123456789abcdef'.repeat(2)}`;
    expect(play({ $case: 'fileId', fileId: id }).choices).toEqual([{ kind: 'library', mediaId: id }]);
    expect(play({ $case: 'fileId', fileId: 'ml-short.wav' }).choices).toEqual([
      { kind: 'file', name: 'ml-short.wav' },
    ]);
  });

  it('checks Say before anything is synthesized', () => {
    expect(() => sayRequest(speech({ $case: 'text', text: '' }))).toThrow('speech.text is empty');
    expect(() => sayRequest(speech({ $case: 'ssml', ssml: '  ' }))).toThrow('speech.ssml is empty');
    expect(() => sayRequest(undefined)).toThrow('speech.text or speech.ssml is required');
    expect(() => sayRequest(speech({ $case: 'text', text: 'a'.repeat(3001) }))).toThrow(
      'speech.text is 3001 characters; at most 3000',
    );
    expect(() => sayRequest(speech({ $case: 'text', text: 'a'.repeat(100_000) }))).toThrow(ValidationError);
    expect(() => sayRequest(speech({ $case: 'ssml', ssml: 'a'.repeat(6001) }))).toThrow(
      'speech.ssml is 6001 characters; at most 6000',
    );
    expect(() =>
      requests.say(
        {
          callId: 'c',
          legId: 'l',
          speech: speech({ $case: 'text', text: 'hi' }),
          repeat: 0,
          idempotencyKey: '',
        },
        stamp,
      ),
    ).toThrow('idempotency_key is required');
    expect(
      sayRequest({ ...speech({ $case: 'text', text: 'Hello' }), voice: 'en-us', provider: 'espeak' }).choices,
    ).toEqual([
      { kind: 'speech', speech: { text: 'Hello', voice: 'en-us', provider: 'espeak', language: '' } },
    ]);
  });

  it('builds Say as PlayMedia of the synthesized speech, with what actually spoke', () => {
    const r = sayRequest(speech({ $case: 'text', text: 'Hello' }));
    const media = { source: 'tts:espeak/en-us', durationMs: 900, ttsFallbackFrom: 'polly' };
    expect(r.command([{ mediaUri: 'tts:abc', media }])).toMatchObject({
      type: 'PlayMedia',
      data: { legId: 'l', mediaUri: 'tts:abc', repeat: 0, media },
    });
  });

  it('checks each prompt of CollectDigits and names the one that is wrong', () => {
    const collect = (prompts: callControl.Prompt[]) =>
      requests.collectDigits(
        {
          callId: 'c',
          legId: 'l',
          maxDigits: 1,
          terminators: '',
          firstDigitTimeoutMs: 0,
          interDigitTimeoutMs: 0,
          idempotencyKey: 'k',
          prompts,
          bargeIn: true,
        },
        stamp,
      );
    expect(() =>
      collect([
        { media: { $case: 'url', url: 'https://127.0.0.1/a.wav' } },
        { media: { $case: 'url', url: 'ftp://x' } },
      ]),
    ).toThrow('prompts[1].url must be an http(s) URL');
    expect(() => collect([{ media: { $case: 'say', say: speech({ $case: 'text', text: '' }) } }])).toThrow(
      'prompts[0].say.text is empty',
    );
    expect(() => collect([{ media: undefined }])).toThrow('prompts[0].url, file_id or say is required');
    expect(() =>
      collect(Array.from({ length: 11 }, () => ({ media: { $case: 'fileId' as const, fileId: 'a.wav' } }))),
    ).toThrow('at most 10 prompts, got 11');
    expect(collect([{ media: { $case: 'fileId', fileId: 'a.wav' } }]).choices).toEqual([
      { kind: 'file', name: 'a.wav' },
    ]);
  });

  it('checks SendDtmf digits and duration, naming the bad key', () => {
    const send = (digits: string, durationMs = 0, idempotencyKey = 'k') =>
      requests.sendDtmf({ callId: 'c', legId: 'l', digits, durationMs, idempotencyKey }, stamp);
    expect(() => send('12X')).toThrow('"X" is not a DTMF key');
    expect(() => send('')).toThrow('digits must be 1-32 keys, got 0');
    expect(() => send('1'.repeat(33))).toThrow('digits must be 1-32 keys, got 33');
    expect(() => send('1', 30)).toThrow('duration_ms must be 40-2000');
    expect(() => send('1', 2001)).toThrow('duration_ms must be 40-2000');
    expect(() => send('1', 0, '')).toThrow('idempotency_key is required');
    expect(send('1*#ABCD', 0).command.data).toEqual({ legId: 'l', digits: '1*#ABCD', durationMs: 100 });
  });

  it('gives calls without a max duration the platform default (CreateCall and AnswerLeg)', () => {
    const withDefault = { ...stamp, defaultMaxDurationMs: 14_400_000 };
    const answer = (maxDurationMs: number) =>
      requests.answerLeg(
        { callId: 'c', legId: 'l', clientState: '', maxDurationMs, detectInbandDtmf: true },
        withDefault,
      ).command.data;
    expect(answer(0)).toMatchObject({ maxDurationMs: 14_400_000, detectInbandDtmf: true });
    expect(answer(60_000)).toMatchObject({ maxDurationMs: 60_000 });
    const create = requests.createCall(
      {
        toUri: 'sip:bob@127.0.0.1',
        fromUri: 'sip:app@127.0.0.1',
        ringTimeoutMs: 0,
        maxDurationMs: 0,
        clientState: '',
        idempotencyKey: 'k1',
      },
      withDefault,
    );
    expect(create.command.data).toMatchObject({ maxDurationMs: 14_400_000 });
  });

  it.each([
    [{ $case: 'url' as const, url: 'file:///etc/passwd' }],
    [{ $case: 'url' as const, url: 'not a url' }],
    [{ $case: 'fileId' as const, fileId: '../secret.wav' }],
    [{ $case: 'fileId' as const, fileId: '/abs.wav' }],
    [undefined],
  ])('refuses media %j', (media) => {
    expect(() => play(media)).toThrow(ValidationError);
  });

  it('lets Dial leave From to sip-edge, but checks one that is given', () => {
    const base = {
      callId: 'c',
      bridgeWithLegId: 'l',
      toUri: 'sip:carol@127.0.0.1',
      ringTimeoutMs: 0,
      idempotencyKey: 'd',
    };
    expect(requests.dial({ ...base, fromUri: '' }, stamp).command.data).toMatchObject({ fromUri: '' });
    expect(() => requests.dial({ ...base, fromUri: 'nonsense' }, stamp)).toThrow(ValidationError);
  });

  it('names the missing field', () => {
    expect(() => requests.hangup({ callId: '', legId: '' }, stamp)).toThrow('call_id is required');
    expect(() => requests.stopMedia({ callId: 'c', playbackId: '' }, stamp)).toThrow(
      'playback_id is required',
    );
  });

  describe('recording requests', () => {
    const start = (o: Partial<callControl.StartRecordingRequest> = {}) =>
      requests.startRecording(
        { callId: 'c', channels: 0, maxDurationMs: 0, beep: false, pauseMode: 0, idempotencyKey: '', ...o },
        stamp,
      );
    const leg = (o: Partial<callControl.RecordLegRequest> = {}) =>
      requests.recordLeg(
        {
          callId: 'c',
          legId: 'l',
          beep: false,
          maxLengthMs: 0,
          silenceTimeoutMs: 0,
          terminator: '',
          idempotencyKey: '',
          ...o,
        },
        stamp,
      );

    it('derives the recording from the key, so a retry asks for the same one; without a key it is fresh', () => {
      expect(start({ idempotencyKey: 'k' }).command.metadata).toEqual({
        now: 42,
        newId: nameUuid('c', 'recording', 'k'),
        idempotencyKey: 'k',
      });
      expect(start().command.metadata).toEqual({ now: 42, newId: 'fresh' });
      expect(leg({ idempotencyKey: 'k' }).command.metadata.newId).toBe(nameUuid('c', 'segment', 'k'));
    });

    it('passes what StartRecording asked (0 left for the domain to default)', () => {
      expect(start({ channels: 1, pauseMode: 2, beep: true, maxDurationMs: 9000 }).command).toMatchObject({
        type: 'StartRecording',
        data: { channels: 1, pauseMode: 2, beep: true, maxDurationMs: 9000 },
      });
    });

    it('passes what RecordLeg asked', () => {
      expect(
        leg({ terminator: '#', maxLengthMs: 3_600_000, silenceTimeoutMs: 2000, beep: true }).command,
      ).toEqual({
        type: 'RecordLeg',
        data: { legId: 'l', beep: true, maxLengthMs: 3_600_000, silenceTimeoutMs: 2000, terminator: '#' },
        metadata: { now: 42, newId: 'fresh' },
      });
    });

    it.each([
      ['call_id', () => start({ callId: '' })],
      ['channels', () => start({ channels: 5 as callEvents.RecordingChannels })],
      ['pause_mode', () => start({ pauseMode: 3 as callEvents.PauseMode })],
      ['call_id', () => leg({ callId: '' })],
      ['leg_id', () => leg({ legId: '' })],
      ['max_length_ms', () => leg({ maxLengthMs: 3_600_001 })],
      ['terminator', () => leg({ terminator: '##' })],
      ['terminator', () => leg({ terminator: 'D' })],
      [
        'recording_id',
        () => requests.recordingControl('StopRecording', { callId: 'c', recordingId: '' }, stamp),
      ],
      ['call_id', () => requests.recordingControl('PauseRecording', { callId: '', recordingId: 'r' }, stamp)],
    ])('refuses a bad %s as INVALID_ARGUMENT naming it', (field, parse) => {
      expect(parse).toThrow(ValidationError);
      expect(parse).toThrow(new RegExp(field));
    });

    it('maps pause, resume and stop to their commands', () => {
      for (const type of ['PauseRecording', 'ResumeRecording', 'StopRecording'] as const)
        expect(requests.recordingControl(type, { callId: 'c', recordingId: 'rec-1' }, stamp)).toEqual({
          callId: 'c',
          command: { type, data: { recordingId: 'rec-1' }, metadata: { now: 42, newId: 'fresh' } },
        });
    });
  });

  describe('streams', () => {
    const start = (o: Partial<callControl.StartStreamRequest> = {}) =>
      requests.startStream(
        {
          callId: 'c',
          legId: '',
          url: 'wss://bot.example.com/m',
          tracks: 0,
          encoding: 0,
          sampleRate: 0,
          bidirectional: false,
          customParameters: {},
          authorization: 'Bearer t',
          idempotencyKey: '',
          clientState: '',
          ...o,
        },
        stamp,
      );
    it('derives the stream id from the key (random without one) and carries the authorization to the command', () => {
      expect(start({ idempotencyKey: 'k' }).command.metadata).toEqual({
        now: 42,
        newId: nameUuid('c', 'stream', 'k'),
        idempotencyKey: 'k',
      });
      expect(start().command.metadata).toEqual({ now: 42, newId: 'fresh' });
      expect(start().command.data).toMatchObject({
        authorization: 'Bearer t',
        url: 'wss://bot.example.com/m',
      });
    });
    it('requires the call, the URL and the stream id; bounds client_state', () => {
      expect(() => start({ callId: '' })).toThrow(ValidationError);
      expect(() => start({ url: '' })).toThrow(ValidationError);
      expect(() => start({ clientState: 'x'.repeat(4097) })).toThrow(ValidationError);
      expect(() => requests.streamControl('StopStream', { callId: 'c', streamId: '' }, stamp)).toThrow(
        ValidationError,
      );
      expect(
        requests.streamControl('PauseStream', { callId: 'c', streamId: 'str-1' }, stamp).command,
      ).toMatchObject({
        type: 'PauseStream',
        data: { streamId: 'str-1' },
      });
    });
  });
});

describe('StartSiprec', () => {
  const start = (o: Partial<callControl.StartSiprecRequest> = {}) =>
    requests.startSiprec(
      {
        callId: 'c',
        srsUris: ['sip:srs@127.0.0.1:5090'],
        headers: {},
        idempotencyKey: '',
        clientState: '',
        ...o,
      },
      stamp,
    );
  it('takes 1 to 5 sip:/sips: URIs in order and X- headers', () =>
    expect(
      start({
        srsUris: ['sip:a@h', 'sips:b@h;transport=tls'],
        headers: { 'X-Tenant': 'acme', "x-a.b!%*_+`'~": '1' },
      }).command.data,
    ).toEqual({
      srsUris: ['sip:a@h', 'sips:b@h;transport=tls'],
      headers: { 'X-Tenant': 'acme', "x-a.b!%*_+`'~": '1' },
    }));
  it('derives the siprec id from the key', () =>
    expect(start({ idempotencyKey: 'k' }).command.metadata.newId).toBe(
      start({ idempotencyKey: 'k' }).command.metadata.newId,
    ));
  it.each([
    ['no URI', { srsUris: [] }, /srs_uris/],
    ['more than 5 URIs', { srsUris: ['1', '2', '3', '4', '5', '6'].map((n) => `sip:s${n}@h`) }, /srs_uris/],
    ['a non-SIP URI', { srsUris: ['sip:a@h', 'http://srs.example.com'] }, /srs_uris\[1\]/],
    ['an empty URI', { srsUris: [''] }, /srs_uris\[0\]/],
    [
      'more than 5 headers',
      { headers: Object.fromEntries(['1', '2', '3', '4', '5', '6'].map((n) => [`X-H${n}`, n])) },
      /at most 5 headers/,
    ],
    ['a header name without X-', { headers: { Foo: '1' } }, /not X-/],
    ['a header name with a space', { headers: { 'X-A B': '1' } }, /not X-/],
    ['a header name given twice', { headers: { 'X-A': '1', 'x-a': '2' } }, /twice/],
    ['a value with CR/LF', { headers: { 'X-A': 'v\r\nVia: evil' } }, /control character/],
    ['a value with LF', { headers: { 'X-A': 'v\nx' } }, /control character/],
    ['a value longer than 256', { headers: { 'X-A': 'v'.repeat(257) } }, /longer than 256/],
  ])('refuses %s (INVALID_ARGUMENT)', (_, o, message) =>
    expect(() => start(o as Partial<callControl.StartSiprecRequest>)).toThrow(
      expect.objectContaining({ constructor: ValidationError, message: expect.stringMatching(message) }),
    ),
  );
  it('needs the siprec id on pause, resume and stop', () => {
    expect(() => requests.siprecControl('PauseSiprec', { callId: 'c', siprecId: '' }, stamp)).toThrow(
      /siprec_id/,
    );
    expect(requests.siprecControl('StopSiprec', { callId: 'c', siprecId: 's' }, stamp).command).toEqual({
      type: 'StopSiprec',
      data: { siprecId: 's' },
      metadata: { now: 42, newId: 'fresh' },
    });
  });
});
