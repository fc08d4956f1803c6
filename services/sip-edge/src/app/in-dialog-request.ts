// A request sip-edge sends inside a leg's dialog (INFO, REFER, NOTIFY) whose final response it waits for,
// with a bound of its own: the engine's Timer F (32 s) is far beyond any deadline of the API.
import type { SipDialog, SipHeaders, SipResponseMessage } from './sip-stack.js';

/**
 * Sends the request and resolves with its final response (provisional ones are skipped), or with
 * `undefined` when none came within `timeoutMs`. Rejects when it could not be sent (no engine, the dialog
 * gone from the engine).
 */
export function requestInDialog(
  dialog: SipDialog,
  request: { method: 'INFO' | 'REFER' | 'NOTIFY'; headers: SipHeaders; body?: string },
  timeoutMs: number,
): Promise<SipResponseMessage | undefined> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => resolve(undefined), timeoutMs);
    const settle = (error: unknown, response?: SipResponseMessage) => {
      clearTimeout(timer);
      if (response) resolve(response);
      else reject(error instanceof Error ? error : new Error(String(error)));
    };
    try {
      dialog.request(request, (error, response) => {
        if (error) settle(error);
        else if (response.status >= 200) settle(undefined, response);
      });
    } catch (error) {
      // srf asserts synchronously (e.g. no connection to the engine).
      settle(error);
    }
  });
}
