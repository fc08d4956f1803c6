import type { SippResult } from '@callctl/testing';

/**
 * Fails unless sipp exited 0 with exactly `calls` successful calls and none failed; the failure message is
 * sipp's own account (exit status, error log, the end of the message trace), which is the wire trace.
 */
export function expectSippPassed(result: SippResult, calls: number): void {
  const passed = result.exitCode === 0 && result.successfulCalls === calls && result.failedCalls === 0;
  if (!passed)
    throw new Error(`expected ${calls} successful sipp call(s), none failed\n${result.describe()}`);
  expect(result.successfulCalls).toBe(calls);
}

export interface SippMessage {
  direction: 'sent' | 'received';
  text: string;
}

/** The messages of sipp's -trace_msg log, in order, with the side that sent them. */
export function sippMessages(result: SippResult): SippMessage[] {
  return result.messages
    .split(/^-{10,}.*$/m)
    .map((block) => block.trim())
    .filter((block) => /message (sent|received)/.test(block.split('\n', 1)[0] ?? ''))
    .map((block) => ({
      direction: /message sent/.test(block.split('\n', 1)[0]!) ? 'sent' : 'received',
      text: block.slice(block.indexOf('\n') + 1).trim(),
    }));
}
