import { DEFAULT_RESTART_POLICY, EXIT_CONFIG, decideRestart } from './restart-policy';

const crash = { code: 1, signal: null };
const killed = { code: null, signal: 'SIGKILL' };
const NOW = 1_000_000;

describe('restart policy', () => {
  it('restarts a first crash after the first delay', () =>
    expect(decideRestart(crash, [], NOW)).toEqual({ type: 'restart', delayMs: 500, attempt: 1 }));

  it('restarts a service killed by a signal (kill -9)', () =>
    expect(decideRestart(killed, [], NOW)).toMatchObject({ type: 'restart' }));

  it('doubles the delay for each exit within the window', () =>
    expect(decideRestart(crash, [NOW - 3000, NOW - 2000, NOW - 1000], NOW)).toEqual({
      type: 'restart',
      delayMs: 4000,
      attempt: 4,
    }));

  it('never waits longer than the longest delay', () => {
    const policy = { ...DEFAULT_RESTART_POLICY, maxRestarts: 20 };
    const earlier = Array.from({ length: 10 }, (_, i) => NOW - 1000 * (i + 1));
    expect(decideRestart(crash, earlier, NOW, policy)).toMatchObject({ delayMs: policy.maxDelayMs });
  });

  it('gives up when the exits within a minute pass the cap', () =>
    expect(
      decideRestart(
        crash,
        [1, 2, 3, 4, 5].map((s) => NOW - s * 1000),
        NOW,
      ),
    ).toEqual({
      type: 'give-up',
      reason: 'too-many-restarts',
      exits: 6,
    }));

  it('forgets exits older than the window', () =>
    expect(
      decideRestart(
        crash,
        [1, 2, 3, 4, 5].map((s) => NOW - 60_000 - s),
        NOW,
      ),
    ).toEqual({
      type: 'restart',
      delayMs: 500,
      attempt: 1,
    }));

  it('does not restart a service whose configuration is wrong', () =>
    expect(decideRestart({ code: EXIT_CONFIG, signal: null }, [], NOW)).toEqual({
      type: 'give-up',
      reason: 'config-error',
      exits: 1,
    }));
});
