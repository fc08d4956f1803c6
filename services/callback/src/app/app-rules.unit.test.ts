import { GrpcStatusError } from '@callctl/errors/grpc';
import { status } from '@grpc/grpc-js';
import type { mediaLibrary } from '@callctl/proto';
import { Admission } from './admission.js';
import { createAnnouncementResolver, parseAnnouncements, type MediaListing } from './announcements.js';
import { judgeClaim } from './claims.js';
import { callerUri, dial, parseDialPlan } from './dial-plan.js';
import { createEffects, type CallControlPort } from './effects.js';
import { problemOf } from './request-checks.js';
import type { CallbackCommand } from '../domain/callback.decide.js';

describe('dial plan', () => {
  const plan = parseDialPlan('9=>sip:{user}@gw-a:5060 00=>sips:{user}@intl sip:{user}@127.0.0.1:5090');
  it('takes the first rule whose prefix matches; a rule without one matches everyone', () => {
    expect(dial(plan, '9123')).toBe('sip:9123@gw-a:5060');
    expect(dial(plan, '0049')).toBe('sips:0049@intl');
    expect(dial(plan, 'alice')).toBe('sip:alice@127.0.0.1:5090');
  });
  it('percent-encodes # in the user part', () => expect(dial(plan, '12#')).toBe('sip:12%23@127.0.0.1:5090'));
  it('knows no user without a matching rule', () =>
    expect(dial(parseDialPlan('1=>sip:{user}@gw'), '2')).toBeUndefined());
  it('refuses a template that is not a sip: URI with {user}, naming the variable', () => {
    expect(() => parseDialPlan('9=>tel:{user}')).toThrow(/CALLBACK_DIAL_PLAN/);
    expect(() => parseDialPlan('sip:fixed@gw')).toThrow(/CALLBACK_DIAL_PLAN/);
  });
  it('makes the caller a URI through the template unless it is one', () => {
    expect(callerUri('0123', 'sip:{caller}@callctl.invalid')).toBe('sip:0123@callctl.invalid');
    expect(callerUri('sip:me@example.com', 'sip:{caller}@x')).toBe('sip:me@example.com');
  });
});

describe('request checks', () => {
  const ok = { user1: '100', user2: '+49#1*a.b_c-d', maxDurationS: 60 };
  it('accepts a well-formed request', () => expect(problemOf(ok, 86_400)).toBeUndefined());
  it.each([
    [{ user1: '' }, 'user1'],
    [{ user2: 'x'.repeat(32) }, 'user2'],
    [{ user1: 'a b' }, 'user1'],
    [{ maxDurationS: -1 }, 'max_duration_s'],
    [{ maxDurationS: 1.5 }, 'max_duration_s'],
    [{ maxDurationS: 86_401 }, 'max_duration_s'],
    [{ annId1: '0008000' }, 'ann_id1'],
    [{ annId2: 'abcdefgh' }, 'ann_id2'],
    [{ annDigits2: '12a' }, 'ann_digits2'],
    [{ annDigits2: '1'.repeat(32) }, 'ann_digits2'],
    [{ caller: 'a b' }, 'caller'],
    [{ clientState: 'x'.repeat(1025) }, 'client_state'],
  ])('names the bad field of %j', (bad, field) =>
    expect(problemOf({ ...ok, ...bad }, 86_400)).toMatch(field),
  );
});

describe('announcements', () => {
  const media = (name: string, mediaId: string, at: number): mediaLibrary.MediaInfo => ({
    mediaId,
    name,
    uploadedFormat: 'wav',
    uploadedBytes: 1,
    durationMs: 1,
    sampleRateHz: 8000,
    createdAt: new Date(at),
  });
  function library(files: mediaLibrary.MediaInfo[]) {
    const asked: string[] = [];
    const listing: MediaListing = {
      listMedia: (request) => {
        asked.push(request.pageToken);
        const page = request.pageToken === '' ? files.slice(0, 2) : files.slice(2);
        return Promise.resolve({
          media: page,
          nextPageToken: request.pageToken === '' && files.length > 2 ? 'p2' : '',
        });
      },
    };
    return { listing, asked };
  }

  it('resolves a configured entry first, then a library file named <id> or <id>.<ext> (newest), then a built-in', async () => {
    const { listing } = library([
      media('12345678.wav', 'old', 1),
      media('12345678', 'new', 2),
      media('00080003.mp3', 'lib3', 1),
      media('other.wav', 'x', 3),
    ]);
    const resolver = createAnnouncementResolver({
      configured: parseAnnouncements('00080002=say:Hold+on 11111111=url:https://x/a.wav 22222222=file:f1'),
      library: listing,
    });
    expect(await resolver.resolve('00080002')).toEqual({
      announcementId: '00080002',
      source: { $case: 'text', text: 'Hold on' },
    });
    expect((await resolver.resolve('11111111'))?.source).toEqual({ $case: 'url', url: 'https://x/a.wav' });
    expect((await resolver.resolve('22222222'))?.source).toEqual({ $case: 'fileId', fileId: 'f1' });
    expect((await resolver.resolve('12345678'))?.source).toEqual({ $case: 'fileId', fileId: 'new' });
    expect((await resolver.resolve('00080003'))?.source).toEqual({ $case: 'fileId', fileId: 'lib3' });
    expect(await resolver.resolve('99999999')).toBeUndefined();
  });

  it('keeps the listing 30 s', async () => {
    let now = 0;
    const { listing, asked } = library([media('12345678', 'm', 1)]);
    const resolver = createAnnouncementResolver({
      configured: new Map(),
      library: listing,
      clock: () => now,
    });
    await resolver.resolve('12345678');
    now = 29_999;
    await resolver.resolve('12345678');
    expect(asked).toHaveLength(1);
    now = 30_000;
    await resolver.resolve('12345678');
    expect(asked).toHaveLength(2);
  });

  it('plays the built-ins when the library cannot be asked, and refuses other ids', async () => {
    const down: MediaListing = { listMedia: () => Promise.reject(new Error('down')) };
    const resolver = createAnnouncementResolver({ configured: new Map(), library: down });
    expect((await resolver.resolve('00080002'))?.source?.$case).toBe('text');
    await expect(resolver.resolve('12345678')).rejects.toThrow('down');
  });

  it('refuses a malformed entry, naming the variable', () => {
    expect(() => parseAnnouncements('1234=say:x')).toThrow(/CALLBACK_ANNOUNCEMENTS/);
    expect(() => parseAnnouncements('12345678=url:ftp://x')).toThrow(/CALLBACK_ANNOUNCEMENTS/);
  });
});

describe('admission', () => {
  it('refuses at the cap of callbacks in progress', () => {
    const a = new Admission({ maxActive: 2, maxPerSecond: 10 });
    expect(a.admit(1, 0)).toBe('admitted');
    expect(a.admit(2, 0)).toBe('concurrency');
  });
  it('admits a burst of the rate, then refills at that rate', () => {
    const a = new Admission({ maxActive: 100, maxPerSecond: 2 });
    expect([a.admit(0, 0), a.admit(0, 0), a.admit(0, 0)]).toEqual(['admitted', 'admitted', 'rate']);
    expect(a.admit(0, 499)).toBe('rate');
    expect(a.admit(0, 500)).toBe('admitted');
    expect(a.admit(0, 10_000)).toBe('admitted');
    expect(a.admit(0, 10_000)).toBe('admitted');
    expect(a.admit(0, 10_000)).toBe('rate');
  });
});

describe('claims', () => {
  const latest = (digest: string, over: boolean, overAtMs?: number) => ({ digest, over, overAtMs });
  it('gRPC: the same fields are the same callback forever; other fields are a duplicate forever', () => {
    expect(judgeClaim('grpc', latest('d', true, 0), 'd', 1e9, 32_000)).toBe('same');
    expect(judgeClaim('grpc', latest('d', true, 0), 'e', 1e9, 32_000)).toBe('duplicate');
  });
  it('IIF: a duplicate while in progress, a new callback once over (the same request after the window)', () => {
    expect(judgeClaim('iif', latest('d', false), 'e', 0, 32_000)).toBe('duplicate');
    expect(judgeClaim('iif', latest('d', false), 'd', 0, 32_000)).toBe('same');
    expect(judgeClaim('iif', latest('d', true, 0), 'e', 1, 32_000)).toBe('new-claim');
    expect(judgeClaim('iif', latest('d', true, 0), 'd', 32_000, 32_000)).toBe('same');
    expect(judgeClaim('iif', latest('d', true, 0), 'd', 32_001, 32_000)).toBe('new-claim');
  });
});

describe('effects', () => {
  const unavailable = () => new GrpcStatusError({ code: status.UNAVAILABLE, details: 'down' });
  const refused = () => new GrpcStatusError({ code: status.INVALID_ARGUMENT, details: 'bad uri' });
  const create: CallbackCommand = {
    type: 'CreateCall',
    key: 'cb1-1:user1',
    toUri: 'sip:a@b',
    fromUri: 'sip:c@d',
    ringTimeoutMs: 0,
    maxDurationMs: 0,
    clientState: 'callback:cb1-1',
  };
  function platform(failures: Array<() => Error>) {
    const keys: string[] = [];
    const api = {
      createCall: (request: { idempotencyKey?: string }) => {
        keys.push(request.idempotencyKey ?? '');
        const failure = failures.shift();
        return failure ? Promise.reject(failure()) : Promise.resolve({ callId: 'C', legId: 'L' });
      },
      say: () => Promise.reject(unavailable()),
    } as unknown as CallControlPort;
    let now = 0;
    const effects = createEffects({
      api,
      clock: () => now,
      sleep: (ms) => {
        now += ms;
        return Promise.resolve();
      },
    });
    return { effects, keys, elapsed: () => now };
  }

  it('waits an unreachable platform out, with the same key', async () => {
    const p = platform([unavailable, unavailable]);
    expect(await p.effects.run(create)).toEqual({ ok: true, callId: 'C', legId: 'L' });
    expect(p.keys).toEqual(['cb1-1:user1', 'cb1-1:user1', 'cb1-1:user1']);
  });

  it('gives up after 60 s of it, and at once on a refusal', async () => {
    const p = platform(Array.from({ length: 100 }, () => unavailable));
    expect(await p.effects.run(create)).toMatchObject({ ok: false, code: 'UNAVAILABLE' });
    expect(p.elapsed()).toBeLessThanOrEqual(60_000);
    expect(p.elapsed()).toBeGreaterThan(50_000);
    expect(await platform([refused]).effects.run(create)).toMatchObject({
      ok: false,
      code: 'INVALID_ARGUMENT',
    });
  });

  it('skips a prompt after 5 s', async () => {
    const p = platform([]);
    const say: CallbackCommand = {
      type: 'Play',
      key: 'cb1-1:ann1',
      step: 'ann1',
      callId: 'C',
      legId: 'L',
      announcement: { announcementId: '', source: { $case: 'text', text: 'hi' } },
    };
    expect(await p.effects.run(say)).toMatchObject({ ok: false, code: 'UNAVAILABLE' });
    expect(p.elapsed()).toBeLessThanOrEqual(5_000);
  });
});
