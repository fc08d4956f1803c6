import { formatReason, parseReason, type SipReason } from '@callctl/sip';
import { callEvents } from '@callctl/proto';
import { SpanKind } from '@callctl/telemetry';
import { parseDtmfInfo } from '../domain/dtmf-info.js';
import { dtmfInfoReceived, legEnded } from '../domain/sip-facts.js';
import { platformReason, type EndCause } from '../domain/end-cause.js';
import { endSipSpan, factIds, report, sipSpan, type LegContext } from './leg-context.js';
import { dialogOf, type Leg } from './leg-registry.js';
import { leaveMedia } from './leg-media.js';
import { answerReInvite } from './re-invite.js';
import { forgetSentRefers, onNotify } from './refer-leg.js';
import { onRefer } from './refer-received.js';
import type { SipDialog } from './sip-stack.js';

/**
 * Marks the leg ended, reports LegEnded and takes its media out of the plan (which deletes a session the
 * leg was the last one in). Safe to call twice: only the first call of a leg does anything.
 */
export async function endLeg(
  ctx: LegContext,
  leg: Leg,
  cause: EndCause,
  sipStatus: number,
  reason: string,
  receivedReason?: SipReason,
): Promise<void> {
  if (leg.status.state === 'ended') return;
  leg.status = { state: 'ended' };
  if (leg.direction === 'inbound') clearTimeout(leg.answerTimer);
  else clearTimeout(leg.ringTimer);
  ctx.registry.remove(leg);
  ctx.journal.forget(leg.legId);
  forgetSentRefers(leg);
  leg.log.info(
    {
      cause: callEvents.endCauseToJSON(cause),
      sipStatus,
      reason,
      ...(receivedReason ? { receivedReason } : {}),
    },
    'leg ended',
  );
  report(ctx, leg, legEnded(factIds(ctx, leg), cause, sipStatus, reason, receivedReason));
  await leaveMedia(ctx, leg);
}

/**
 * Follows an established dialog: BYE from the far end ends the leg, SIP INFO digits are reported, a REFER
 * is checked and reported, NOTIFYs report REFERs sip-edge sent.
 */
export function watchDialog(ctx: LegContext, leg: Leg, dialog: SipDialog): void {
  dialog.on('destroy', (message, reason) => {
    // The far end's BYE (srf answered it): a SERVER span under the leg's trace.
    const bye = sipSpan(leg, 'BYE', SpanKind.SERVER);
    const received = receivedReason(message);
    void bye.run(() =>
      endLeg(ctx, leg, callEvents.EndCause.END_CAUSE_REMOTE_HANGUP, 0, reason ?? 'BYE', received),
    );
    bye.end();
  });
  dialog.on('modify', (request, responder) => {
    void answerReInvite(ctx, leg, dialog, request, responder);
  });
  dialog.on('info', (request, responder) => {
    responder.send(200, undefined, {}, () => undefined);
    const digit = parseDtmfInfo(request.get('Content-Type'), request.body ?? '');
    if (!digit || leg.status.state === 'ended') return;
    leg.log.info({ digit: digit.digit }, 'dtmf by SIP INFO');
    report(ctx, leg, dtmfInfoReceived(factIds(ctx, leg), digit.digit, digit.durationMs));
  });
  dialog.on('refer', (request, responder) => {
    void onRefer(ctx, leg, request, responder);
  });
  dialog.on('notify', (request, responder) => {
    void onNotify(ctx, leg, request, responder);
  });
}

/**
 * Sends BYE on an answered leg and ends it as the platform's hangup (or the given cause) at once: the leg is
 * over on our side when the BYE leaves, whatever the far end does with it. A phone that is gone never
 * answers, and the SIP engine would give up only after Timer F (32 s), far beyond a HangupLeg's deadline;
 * a BYE that is not confirmed (the engine's 408 at Timer F, another failure status, a transport error) is
 * logged (`BYE not confirmed`) and changes nothing in what was reported. `confirmed` settles with the BYE's
 * final response (or its failure), for a caller that must wait for it. The BYE carries an RFC 3326 Reason
 * with the Q.850 cause of `why` (the cause by default: HangupLeg names the orchestrator's own cause there).
 */
export async function byeLeg(
  ctx: LegContext,
  leg: Leg,
  cause: EndCause,
  reason: string,
  why: EndCause = cause,
): Promise<{ confirmed: Promise<void> }> {
  const dialog = dialogOf(leg);
  // Ended first, so the dialog's own 'destroy' (srf emits none for a BYE we send, but a crossing BYE
  // from the far end does) cannot report a second LegEnded.
  const ending = endLeg(ctx, leg, cause, 0, reason);
  // request rather than destroy: srf's destroy settles alike on a 200 and on the engine's 408.
  const span = dialog ? sipSpan(leg, 'BYE') : undefined;
  const bye = dialog?.request({ method: 'BYE', headers: { Reason: reasonHeader(why, reason) } });
  const confirmed = (bye ?? Promise.resolve(undefined)).then(
    (response) => {
      if (span && response) endSipSpan(span, response.status);
      if (response && response.status >= 300)
        leg.log.warn({ sipStatus: response.status }, 'BYE not confirmed');
    },
    (error: unknown) => {
      if (span) endSipSpan(span, 0, error);
      leg.log.warn({ err: error }, 'BYE not confirmed');
    },
  );
  await ending;
  return { confirmed };
}

/** A HangupLeg that came while the leg was being answered: carried out now that it is (BYE, LOCAL_HANGUP). */
export async function byeIfHangupRequested(ctx: LegContext, leg: Leg): Promise<void> {
  const requested = leg.hangupRequested;
  if (requested)
    await byeLeg(ctx, leg, callEvents.EndCause.END_CAUSE_LOCAL_HANGUP, requested.reason, requested.why);
}

/** RFC 3326 Reason for a BYE or CANCEL the platform sends: the cause's Q.850 code with the given text. */
export function reasonHeader(cause: EndCause, text: string): string {
  return formatReason(platformReason(cause, text));
}

/** The Reason a peer's request or response carried (RFC 3326), read from whatever srf handed us. */
export function receivedReason(message: unknown): SipReason | undefined {
  const get = (message as { get?: unknown } | undefined)?.get;
  if (typeof get !== 'function') return undefined;
  const value: unknown = get.call(message, 'Reason');
  return typeof value === 'string' ? parseReason(value) : undefined;
}
