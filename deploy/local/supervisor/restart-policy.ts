// When `make dev` brings a dead service back, and when it stops trying. Pure: the supervisor passes the
// clock and the times of the service's earlier exits, so the policy is tested without waiting.

/** Exit status of a service whose configuration is wrong (libs/service run-main): a restart cannot help. */
export const EXIT_CONFIG = 78;

export interface RestartPolicy {
  /** Delay before the first restart; each further exit within the window doubles it. @default 500 */
  readonly firstDelayMs: number;
  /** The longest delay. @default 8000 */
  readonly maxDelayMs: number;
  /** Restarts allowed within `windowMs`; one more exit and the supervisor gives up. @default 5 */
  readonly maxRestarts: number;
  /** The window the cap counts in. @default 60000 */
  readonly windowMs: number;
}

export const DEFAULT_RESTART_POLICY: RestartPolicy = {
  firstDelayMs: 500,
  maxDelayMs: 8000,
  maxRestarts: 5,
  windowMs: 60_000,
};

export interface Exit {
  readonly code: number | null;
  readonly signal: string | null;
}

export type RestartDecision =
  | { readonly type: 'restart'; readonly delayMs: number; readonly attempt: number }
  | {
      readonly type: 'give-up';
      readonly reason: 'config-error' | 'too-many-restarts';
      readonly exits: number;
    };

/**
 * What to do about a service that exited on its own at `nowMs`, given the times of its earlier exits
 * (`earlierExitsMs`, any order). Exits older than the window are forgotten, so a service that crashes
 * once an hour is always restarted after the first delay.
 */
export function decideRestart(
  exit: Exit,
  earlierExitsMs: readonly number[],
  nowMs: number,
  policy: RestartPolicy = DEFAULT_RESTART_POLICY,
): RestartDecision {
  const exits = earlierExitsMs.filter((t) => nowMs - t < policy.windowMs).length + 1;
  if (exit.code === EXIT_CONFIG) return { type: 'give-up', reason: 'config-error', exits };
  if (exits > policy.maxRestarts) return { type: 'give-up', reason: 'too-many-restarts', exits };
  const delayMs = Math.min(policy.maxDelayMs, policy.firstDelayMs * 2 ** (exits - 1));
  return { type: 'restart', delayMs, attempt: exits };
}
