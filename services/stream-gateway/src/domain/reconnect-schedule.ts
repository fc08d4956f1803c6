// When to try reconnecting a stream whose WebSocket broke: 250 ms after the break, then doubling up to
// 4 s between attempts, as long as the attempt starts within the reconnection window. Pure.

export const FIRST_RECONNECT_DELAY_MS = 250;
export const MAX_RECONNECT_DELAY_MS = 4000;

/**
 * The delay before attempt `attempt` (1, 2, …), or undefined when that attempt would start after
 * `windowMs` from the break (`elapsedMs` have passed since it): the stream gives up.
 */
export function reconnectDelay(attempt: number, elapsedMs: number, windowMs: number): number | undefined {
  const delay = Math.min(FIRST_RECONNECT_DELAY_MS * 2 ** (attempt - 1), MAX_RECONNECT_DELAY_MS);
  return elapsedMs + delay <= windowMs ? delay : undefined;
}
