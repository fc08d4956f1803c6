// When to try reconnecting a stream whose WebSocket broke: 250 ms after the break, then doubling up to
// 4 s between attempts, the last one at the reconnection window's end (an endpoint back just before the
// window closes is still found). Pure.

export const FIRST_RECONNECT_DELAY_MS = 250;
export const MAX_RECONNECT_DELAY_MS = 4000;

/**
 * The delay before attempt `attempt` (1, 2, …), shortened so that no attempt starts after `windowMs` from
 * the break (`elapsedMs` have passed since it); undefined once the window is over: the stream gives up.
 */
export function reconnectDelay(attempt: number, elapsedMs: number, windowMs: number): number | undefined {
  const remaining = windowMs - elapsedMs;
  if (remaining <= 0) return undefined;
  return Math.min(FIRST_RECONNECT_DELAY_MS * 2 ** (attempt - 1), MAX_RECONNECT_DELAY_MS, remaining);
}
