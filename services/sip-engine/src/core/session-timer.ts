// Session timers (RFC 4028, research §7.11): who refreshes is negotiated on each 2xx to an INVITE; the
// refresher sends a re-INVITE at half the interval, the other side ends the call with BYE when no refresh
// comes. Refresh re-INVITEs are the engine's own and invisible to the app.
import { parseCSeq, type SipMessage, type SipResponse } from '@callctl/sip';
import type { Dialog } from './dialog.js';

/** Smallest interval we accept (RFC 4028 Min-SE default). */
export const MIN_SE_SECONDS = 90;

export interface SessionExpires {
  seconds: number;
  refresher: 'uac' | 'uas' | undefined;
}

/** `Session-Expires: 1800;refresher=uac` (compact `x`), or undefined when absent or unreadable. */
export function readSessionExpires(message: SipMessage): SessionExpires | undefined {
  const value = message.get('Session-Expires');
  if (value === undefined) return undefined;
  const [delta, ...params] = value.split(';').map((p) => p.trim());
  const seconds = Number(delta);
  if (!Number.isInteger(seconds) || seconds <= 0) return undefined;
  let refresher: SessionExpires['refresher'];
  for (const param of params) {
    const [name, val] = param.split('=').map((p) => p.trim().toLowerCase());
    if (name === 'refresher' && (val === 'uac' || val === 'uas')) refresher = val;
  }
  return { seconds, refresher };
}

/**
 * Who refreshes after a 2xx to an INVITE. `weAreUas`: the 2xx is ours (we answered the INVITE). The
 * `refresher` names a role in that INVITE transaction; without one the UAC refreshes (RFC 4028 §7.1, §9).
 */
export function weRefresh(session: SessionExpires, weAreUas: boolean): boolean {
  const refresher = session.refresher ?? 'uac';
  return weAreUas ? refresher === 'uas' : refresher === 'uac';
}

/** The INVITE CSeq method check used when a 2xx arrives: only INVITE 2xx negotiate. */
export function isInviteResponse(response: SipResponse): boolean {
  try {
    return parseCSeq(response.get('CSeq') ?? '').method === 'INVITE';
  } catch {
    return false;
  }
}

export interface SessionTimerHooks {
  /** We refresh: send a refresh re-INVITE (its outcome calls `arm` again or ends the call). */
  refresh(dialog: Dialog, session: SessionExpires): void;
  /** They refresh and did not: end the call. */
  expire(dialog: Dialog): void;
}

/** Arms (or re-arms) a dialog's session timer. */
export function armSessionTimer(
  dialog: Dialog,
  session: SessionExpires,
  weAreRefresher: boolean,
  after: (ms: number, fn: () => void) => { cancel(): void },
  hooks: SessionTimerHooks,
): void {
  dialog.sessionTimer?.cancel();
  const seconds = Math.max(MIN_SE_SECONDS, session.seconds);
  dialog.session = { seconds, weRefresh: weAreRefresher };
  dialog.sessionTimer = weAreRefresher
    ? after((seconds * 1000) / 2, () => hooks.refresh(dialog, { seconds, refresher: 'uac' }))
    : after(seconds * 1000, () => hooks.expire(dialog));
}
