import { ValidationError } from '../../domain/errors.js';
import { nameUuid } from '../ids.js';
import * as requests from './requests.js';

const stamp = { clock: () => 42, ids: { next: () => 'fresh', fromName: nameUuid } };
const play = (media: Parameters<typeof requests.playMedia>[0]['media']) =>
  requests.playMedia({ callId: 'c', legId: 'l', media, repeat: 0, idempotencyKey: 'k' }, stamp);
/** The command of a media request, its choices resolved as the app would for a URL or a file. */
const commandOf = (r: requests.MediaRequest) =>
  r.command(
    r.choices.map((c) => ({
      mediaUri: c.kind === 'url' ? c.url : c.kind === 'file' ? `file:${c.name}` : 'resolved',
      media: { source: c.kind, durationMs: 0, ttsFallbackFrom: '' },
    })),
  );

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

  it.each([
    ['sip:bob@', /not a valid SIP URI/],
    ['tel:+15551234', /must be a sip: or sips: URI/],
    ['bob', /not a valid SIP URI/],
  ])('refuses the destination %s', (toUri, message) => {
    expect(() =>
      requests.createCall(
        {
          toUri,
          fromUri: 'sip:a@b',
          ringTimeoutMs: 0,
          maxDurationMs: 0,
          clientState: '',
          idempotencyKey: 'k',
        },
        stamp,
      ),
    ).toThrow(message);
  });

  it('plays an http(s) URL as it is and a file id as file:<id>', () => {
    expect(commandOf(play({ $case: 'url', url: 'https://127.0.0.1/a.wav' })).data).toMatchObject({
      mediaUri: 'https://127.0.0.1/a.wav',
    });
    expect(commandOf(play({ $case: 'fileId', fileId: 'welcome.wav' })).data).toMatchObject({
      mediaUri: 'file:welcome.wav',
    });
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
});
