// ReferLeg: the platform asks a leg's phone to call a target itself (blind transfer by REFER, RFC 3515).
// The phone answers the REFER (202), then reports the new call's progress in NOTIFYs (Event: refer;id=<the
// REFER's CSeq>, message/sipfrag); each becomes a ReferProgress fact of the transfer, the last one final.
import type { sipEdge } from '@callctl/proto';
import { parseNameAddr } from '@callctl/sip';
import { checkDialUri } from '../domain/dial-target.js';
import { IllegalStateError, UnavailableError } from '../domain/errors.js';
import {
  cseqNumber,
  endsSubscription,
  parseSipfrag,
  readReferEvent,
  reasonPhrase,
  type SipfragStatus,
} from '../domain/refer.js';
import { referProgress } from '../domain/sip-facts.js';
import { requestInDialog } from './in-dialog-request.js';
import { factIds, report, type LegContext } from './leg-context.js';
import { dialogOf, hasEnded, idsOf, type Leg } from './leg-registry.js';
import { sendFinal } from './sip-response.js';
import type { SipRequest, SipResponder } from './sip-stack.js';

/** How long the phone may take to answer the REFER itself (the orchestrator allows the RPC 5 s). */
export const REFER_RESPONSE_TIMEOUT_MS = 2_000;

/** How long the final NOTIFY may take when the request gives 0 (sip_edge.proto ReferLegRequest). */
export const DEFAULT_REFER_TIMEOUT_MS = 60_000;

/** A REFER sip-edge sent whose result is not known yet. */
export interface SentRefer {
  readonly transferId: string;
  /** The REFER's CSeq number (the NOTIFYs' Event id), known once its response arrived. */
  id?: string;
  /** NOTIFYs that overtook the REFER's response: applied once the response names the REFER's id. */
  readonly early: { id?: string; progress: SipfragStatus; final: boolean }[];
  /** No final NOTIFY by then: a final 408. */
  timer?: NodeJS.Timeout;
}

/** sip_edge.proto ReferLegRequest: referred_by empty = the leg's platform-side URI; timeout_ms 0 = the default. */
export type ReferLegInput = sipEdge.ReferLegRequest;

/**
 * Sends the REFER and resolves with the phone's 2xx status. A refusal is reported as a final ReferProgress
 * and fails with IllegalStateError naming the status; no answer in time, the same with 408 and
 * UnavailableError. REFERs on one leg go one after another (each waits for the previous one's response).
 */
export async function referLeg(ctx: LegContext, input: ReferLegInput): Promise<number> {
  const context = { callId: input.callId, legId: input.legId };
  const referTo = checkDialUri(input.referTo, 'refer_to', context);
  const referredBy = input.referredBy ? checkDialUri(input.referredBy, 'referred_by', context) : undefined;
  const leg = ctx.registry.live(input.callId, input.legId);
  if (!dialogOf(leg))
    throw new IllegalStateError(
      `cannot REFER leg ${leg.legId}: it is ${leg.status.state}, not answered`,
      idsOf(leg),
    );
  const previous = leg.sendingRefer ?? Promise.resolve();
  const sending = previous.then(() =>
    sendRefer(ctx, leg, {
      transferId: input.transferId,
      referTo,
      referredBy: referredBy ?? platformUri(leg),
      timeoutMs: input.timeoutMs || DEFAULT_REFER_TIMEOUT_MS,
    }),
  );
  leg.sendingRefer = sending.then(
    () => undefined,
    () => undefined,
  );
  return sending;
}

async function sendRefer(
  ctx: LegContext,
  leg: Leg,
  request: { transferId: string; referTo: string; referredBy: string; timeoutMs: number },
): Promise<number> {
  const dialog = dialogOf(leg);
  if (!dialog) throw new IllegalStateError(`leg ${leg.legId} ended before the REFER was sent`, idsOf(leg));
  const refer: SentRefer = { transferId: request.transferId, early: [] };
  (leg.sentRefers ??= []).push(refer);
  leg.log.info({ transferId: refer.transferId, referTo: request.referTo }, 'sending REFER');
  let response;
  try {
    response = await requestInDialog(
      dialog,
      {
        method: 'REFER',
        headers: { 'Refer-To': `<${request.referTo}>`, 'Referred-By': `<${request.referredBy}>` },
      },
      REFER_RESPONSE_TIMEOUT_MS,
    );
  } catch (error) {
    finish(ctx, leg, refer, { status: 503, reason: 'REFER not sent' });
    throw (
      endedMeanwhile(leg, error) ??
      new UnavailableError(`REFER on leg ${leg.legId} not sent`, idsOf(leg), { cause: error })
    );
  }
  // A BYE that crossed the REFER: LegEnded tells the orchestrator, and no NOTIFY can follow.
  const ended = endedMeanwhile(leg);
  if (ended) throw ended;
  if (!response) {
    finish(ctx, leg, refer, { status: 408, reason: 'no response to the REFER' });
    throw new UnavailableError(
      `leg ${leg.legId} did not answer the REFER within ${REFER_RESPONSE_TIMEOUT_MS} ms`,
      idsOf(leg),
    );
  }
  if (response.status >= 300) {
    finish(ctx, leg, refer, { status: response.status, reason: response.reason });
    throw new IllegalStateError(
      `leg ${leg.legId} refused the REFER: ${response.status} ${response.reason}`.trimEnd(),
      idsOf(leg),
    );
  }
  refer.id = cseqNumber(response.get('CSeq'));
  leg.log.info(
    { transferId: refer.transferId, sipStatus: response.status, referId: refer.id },
    'REFER accepted',
  );
  refer.timer = setTimeout(
    () =>
      finish(ctx, leg, refer, {
        status: 408,
        reason: `no final NOTIFY within ${request.timeoutMs} ms`,
      }),
    request.timeoutMs,
  );
  for (const early of refer.early.splice(0))
    if (early.id === undefined || early.id === refer.id)
      progress(ctx, leg, refer, early.progress, early.final);
  return response.status;
}

function endedMeanwhile(leg: Leg, cause?: unknown): IllegalStateError | undefined {
  if (!hasEnded(leg)) return undefined;
  return new IllegalStateError(
    `leg ${leg.legId} ended while the REFER was sent`,
    idsOf(leg),
    cause === undefined ? undefined : { cause },
  );
}

/**
 * A NOTIFY on the leg's dialog: the progress of a REFER sip-edge sent, matched by the Event id. Answered
 * 200 and reported; 481 when no REFER of sip-edge's is waiting for it (RFC 6665 4.1.3: the notifier ends
 * the subscription), 489 for another event package, 400 without a sipfrag status line.
 */
export async function onNotify(
  ctx: LegContext,
  leg: Leg,
  request: SipRequest,
  responder: SipResponder,
): Promise<void> {
  const answer = (status: number, reason?: string) =>
    sendFinal(responder, status, reason).catch((error: unknown) =>
      leg.log.warn({ err: error, sipStatus: status }, 'response to a NOTIFY not sent'),
    );
  const event = readReferEvent(request.get('Event'));
  if (event.kind === 'other') return answer(489, 'Bad Event');
  const id = event.kind === 'refer' ? event.id : undefined;
  const refers = leg.sentRefers ?? [];
  // Without an id: the oldest REFER (RFC 3515 2.4.6 asks for the id; servers that send none have one REFER).
  const refer = id === undefined ? refers[0] : refers.find((r) => r.id === id || r.id === undefined);
  if (!refer) return answer(481, 'Subscription Does Not Exist');
  const frag = parseSipfrag(request.body ?? '');
  if (!frag) return answer(400, 'No sipfrag Status Line');
  await answer(200);
  const final = endsSubscription(request.get('Subscription-State'), frag.status);
  if (refer.id === undefined)
    refer.early.push({ ...(id !== undefined ? { id } : {}), progress: frag, final });
  else progress(ctx, leg, refer, frag, final);
}

/** One NOTIFY's news: a ReferProgress; a final one finishes the REFER. */
function progress(ctx: LegContext, leg: Leg, refer: SentRefer, frag: SipfragStatus, final: boolean): void {
  if (final) return finish(ctx, leg, refer, frag);
  leg.log.info({ transferId: refer.transferId, sipStatus: frag.status }, 'REFER progress');
  reportProgress(ctx, leg, refer, frag, false);
}

/** The REFER's last word: a final ReferProgress, and it is forgotten (later NOTIFYs for it get 481). */
function finish(ctx: LegContext, leg: Leg, refer: SentRefer, frag: SipfragStatus): void {
  const refers = leg.sentRefers ?? [];
  const index = refers.indexOf(refer);
  if (index < 0) return;
  refers.splice(index, 1);
  clearTimeout(refer.timer);
  const reason = frag.reason || reasonPhrase(frag.status);
  leg.log.info({ transferId: refer.transferId, sipStatus: frag.status, reason }, 'REFER finished');
  reportProgress(ctx, leg, refer, { status: frag.status, reason }, true);
}

function reportProgress(
  ctx: LegContext,
  leg: Leg,
  refer: SentRefer,
  frag: SipfragStatus,
  final: boolean,
): void {
  const fact = { transferId: refer.transferId, sipStatus: frag.status, reason: frag.reason, final };
  report(ctx, leg, referProgress(factIds(ctx, leg), fact));
}

/**
 * The leg ended: its REFERs' results will never come, and LegEnded says why; their timers go. Nothing more
 * is reported for them.
 */
export function forgetSentRefers(leg: Leg): void {
  for (const refer of leg.sentRefers?.splice(0) ?? []) clearTimeout(refer.timer);
}

/**
 * The URI the leg's phone knows the platform by: the To of an inbound INVITE (what the caller dialled),
 * the From of an outbound one; the dialog's Contact when neither can be read.
 */
export function platformUri(leg: Leg): string {
  const header = leg.direction === 'inbound' ? leg.request.get('To') : leg.sent?.get('From');
  try {
    if (header) return parseNameAddr(header).uri;
  } catch {
    // Unreadable: the Contact below is still the platform's.
  }
  return dialogOf(leg)?.local.uri ?? '';
}
