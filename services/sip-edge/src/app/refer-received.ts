// A phone's REFER on its leg (it transfers its call, RFC 3515) and the NOTIFYs that report the result back
// to it (NotifyRefer). sip-edge checks the Refer-To, resolves a Replaces against its own dialogs, accepts
// (202, NOTIFY 100 Trying at once) and reports ReferReceived; what to do is the orchestrator's decision.
import type { sipEdge } from '@callctl/proto';
import { ReferNotFoundError, ValidationError } from '../domain/errors.js';
import {
  cseqNumber,
  isReferToProblem,
  isSipfragStatus,
  parseReferTo,
  referEvent,
  replacesDialog,
  SIPFRAG_TYPE,
  sipfragBody,
  subscriptionStateFor,
  type ReplacesTarget,
} from '../domain/refer.js';
import { referReceived } from '../domain/sip-facts.js';
import { requestInDialog } from './in-dialog-request.js';
import { factIds, report, type LegContext } from './leg-context.js';
import { dialogOf, hasEnded, idsOf, type Leg } from './leg-registry.js';
import { sendFinal, warningHeader } from './sip-response.js';
import type { SipRequest, SipResponder } from './sip-stack.js';

/** How long the phone may take to answer one NOTIFY; the next one for the refer waits at most this long. */
export const NOTIFY_TIMEOUT_MS = 2_000;

/** A REFER the leg's phone sent and sip-edge accepted. */
export interface ReceivedRefer {
  readonly id: string;
  /** The final NOTIFY was sent (or the phone ended the subscription): nothing more is sent. */
  finished: boolean;
  /** The NOTIFY being sent (settled, never rejected): the next one waits for it, so they arrive in order. */
  notifying: Promise<void>;
}

const NO_DIALOG = 'Call/Transaction Does Not Exist';

/**
 * A REFER on an answered leg's dialog. Refused: 400 when the Refer-To is missing, repeated or not a SIP
 * URI; 481 when its Replaces names no dialog sip-edge holds. Accepted: 202, NOTIFY 100 Trying, and a
 * ReferReceived fact.
 */
export async function onRefer(
  ctx: LegContext,
  leg: Leg,
  request: SipRequest,
  responder: SipResponder,
): Promise<void> {
  const refuse = (status: number, reason: string, why: string) => {
    leg.log.info({ sipStatus: status, why }, 'REFER refused');
    return sendFinal(responder, status, reason, warningHeader(why)).catch((error: unknown) =>
      leg.log.warn({ err: error }, 'refusal of a REFER not sent'),
    );
  };
  if (hasEnded(leg) || !dialogOf(leg)) return refuse(481, NO_DIALOG, 'the call has ended');
  const values = [request.get('Refer-To'), request.get('r')].filter((v): v is string => v !== undefined);
  const target = parseReferTo(values);
  if (isReferToProblem(target)) return refuse(400, 'Bad Refer-To', target.problem);
  const replaced = target.replaces ? replacedLeg(ctx, target.replaces) : undefined;
  if (target.replaces && !replaced)
    return refuse(481, NO_DIALOG, `Replaces names no dialog held here (Call-ID ${target.replaces.callId})`);
  const id = cseqNumber(request.get('CSeq')) ?? '0';
  try {
    await sendFinal(responder, 202, 'Accepted');
  } catch (error) {
    leg.log.warn({ err: error }, '202 to a REFER not sent');
    return;
  }
  const refer: ReceivedRefer = { id, finished: false, notifying: Promise.resolve() };
  (leg.receivedRefers ??= new Map()).set(id, refer);
  leg.log.info(
    { referId: id, referTo: target.uri, replacesLegId: replaced?.legId },
    'REFER accepted; asking the orchestrator',
  );
  // RFC 3515 2.4.4: the first NOTIFY right after the 202. Queued, so NotifyRefer's come after it.
  void notify(leg, refer, 100, '');
  report(
    ctx,
    leg,
    referReceived(factIds(ctx, leg), {
      referId: id,
      referTo: target.uri,
      referredBy: request.get('Referred-By') ?? request.get('b') ?? '',
      replacesCallId: replaced?.callId ?? '',
      replacesLegId: replaced?.legId ?? '',
    }),
  );
}

/** A REFER srf has no dialog for (outside any dialog, or in one that is over): 481. */
export function refuseReferWithoutDialog(responder: SipResponder): Promise<void> {
  return sendFinal(responder, 481, NO_DIALOG, warningHeader('no such dialog here')).catch(() => undefined);
}

/** The live leg whose dialog Replaces names (by SIP Call-ID and tags; never by the URI's host or port). */
function replacedLeg(ctx: LegContext, replaces: ReplacesTarget): Leg | undefined {
  return ctx.registry.all().find((leg) => {
    const dialog = dialogOf(leg);
    return dialog !== undefined && replacesDialog(replaces, dialog.sip);
  });
}

/**
 * NotifyRefer: a NOTIFY with `SIP/2.0 <status> <reason>` for a REFER the leg's phone sent. Once the final
 * one went (or the leg ended), later calls succeed without sending anything.
 */
export async function notifyRefer(ctx: LegContext, input: sipEdge.NotifyReferRequest): Promise<void> {
  const context = { callId: input.callId, legId: input.legId };
  if (!isSipfragStatus(input.sipStatus))
    throw new ValidationError(`sip_status must be 100-699, got ${input.sipStatus}`, context);
  const leg = ctx.registry.lookup(input.callId, input.legId);
  // The phone hung up right after its REFER (usual once it is accepted): nobody left to tell.
  if (!leg || !dialogOf(leg)) return;
  const refer = leg.receivedRefers?.get(input.referId);
  if (!refer)
    throw new ReferNotFoundError(`leg ${leg.legId} has no REFER ${JSON.stringify(input.referId)}`, {
      ...idsOf(leg),
      referId: input.referId,
    });
  await notify(leg, refer, input.sipStatus, input.reason);
}

/** Queues one NOTIFY of the refer after the ones before it; a final status finishes the refer at once. */
function notify(leg: Leg, refer: ReceivedRefer, status: number, reason: string): Promise<void> {
  if (refer.finished) return refer.notifying;
  if (status >= 200) refer.finished = true;
  refer.notifying = refer.notifying.then(() => sendNotify(leg, refer, status, reason));
  return refer.notifying;
}

/** Sends it and waits for its answer (bounded); never fails: the phone's reaction changes nothing here. */
async function sendNotify(leg: Leg, refer: ReceivedRefer, status: number, reason: string): Promise<void> {
  const dialog = dialogOf(leg);
  if (!dialog) return;
  try {
    const response = await requestInDialog(
      dialog,
      {
        method: 'NOTIFY',
        headers: {
          Event: referEvent(refer.id),
          'Subscription-State': subscriptionStateFor(status),
          'Content-Type': SIPFRAG_TYPE,
        },
        body: sipfragBody(status, reason),
      },
      NOTIFY_TIMEOUT_MS,
    );
    if (!response) leg.log.warn({ referId: refer.id, sipStatus: status }, 'NOTIFY not answered');
    else if (response.status === 481) {
      // The phone ended the subscription (RFC 6665 4.1.3): it wants no more.
      refer.finished = true;
      leg.log.info({ referId: refer.id }, 'the phone ended the REFER subscription');
    } else if (response.status >= 300)
      leg.log.warn({ referId: refer.id, sipStatus: response.status }, 'NOTIFY refused');
  } catch (error) {
    if (!hasEnded(leg)) leg.log.warn({ err: error, referId: refer.id }, 'NOTIFY not sent');
  }
}
