import { backoffMs, DEFAULT_RETRY_POLICY, isIdempotent, NO_RETRIES } from './retry';

describe('backoffMs', () => {
  it('doubles from the initial wait up to the cap, and stops at maxAttempts', () => {
    const policy = { ...DEFAULT_RETRY_POLICY, maxAttempts: 7, jitter: 0 };
    expect([1, 2, 3, 4, 5, 6, 7].map((attempt) => backoffMs(policy, attempt, 0.5))).toEqual([
      100,
      200,
      400,
      800,
      1600,
      2000,
      undefined,
    ]);
  });

  it('shortens a wait by at most the jitter share', () => {
    expect(backoffMs(DEFAULT_RETRY_POLICY, 2, 0)).toBe(200);
    expect(backoffMs(DEFAULT_RETRY_POLICY, 2, 0.999)).toBe(160);
  });

  it('allows no retry under NO_RETRIES', () => {
    expect(backoffMs(NO_RETRIES, 1, 0)).toBeUndefined();
  });
});

describe('isIdempotent', () => {
  it.each([
    ['getCall', { callId: 'c' }, true],
    ['listCalls', { pageSize: 0, pageToken: '' }, true],
    ['hangup', { callId: 'c', legId: '' }, true],
    ['stopMedia', { callId: 'c', playbackId: 'p' }, true],
    ['stopEcho', { callId: 'c', legId: 'l' }, true],
    ['listMedia', { pageSize: 0, pageToken: '' }, true],
    ['getMedia', { mediaId: 'm' }, true],
    ['deleteMedia', { mediaId: 'm' }, true],
    ['uploadMedia', {}, false],
    ['createCall', { idempotencyKey: 'k1' }, true],
    ['playMedia', { idempotencyKey: 'k2' }, true],
    ['createCall', { idempotencyKey: '' }, false],
    ['answerLeg', { callId: 'c', legId: 'l', clientState: '' }, false],
    ['rejectLeg', { callId: 'c', legId: 'l' }, false],
    ['startEcho', { callId: 'c', legId: 'l' }, false],
  ])('%s %j: %s', (method, request, expected) => {
    expect(isIdempotent(method, request)).toBe(expected);
  });
});
