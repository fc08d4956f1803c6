import { workTraceparent } from '@callctl/telemetry';
import { inboundProfile } from '../domain/media-profile.js';
import { callEvents, type facts } from '@callctl/proto';
import { parseNameAddr } from '@callctl/sip';
import { IllegalStateError, UnavailableError } from '../domain/errors.js';
import { checkFinalStatus } from '../domain/dial-target.js';
import { checkOffer } from '../domain/offer-sdp.js';
import { localAnswerCodecs } from '../domain/codec-policy.js';
import { inboundCallOffered, legAnswered, legEnded, legProgress } from '../domain/sip-facts.js';
import { factIds, report, type LegContext } from './leg-context.js';
import { journalOf } from './leg-journal.js';
import { leaveMedia, partyOf } from './leg-media.js';
import { prepareLocalAnswer, takeLocalAnswer } from './local-answer.js';
import { byeIfHangupRequested, endLeg, receivedReason, watchDialog } from './leg-endings.js';
import { hasEnded, idsOf, type InboundLeg, type Leg } from './leg-registry.js';
import { isSipFailure, type ReceivedRequest, type SipRequest, type SipResponder } from './sip-stack.js';
import { fromTrustDomain } from './outbound-identity.js';
import { callerIdentity } from '../domain/asserted-identity.js';
import { sendFinal, warningHeader } from './sip-response.js';
import type { OfferedCaller } from './inbound-gate.js';

const { EndCause } = callEvents;

/** INVITE headers passed on to the orchestrator for routing decisions (plus every X- header). */
export const OFFERED_HEADERS = [
  'user-agent',
  'p-asserted-identity',
  'remote-party-id',
  'diversion',
  'subject',
];

/**
 * A new INVITE while sip-edge drains: refused before any leg or fact exists, with Retry-After, so the
 * caller or the proxy in front tries another instance (RFC 3261 §21.5.4).
 */
export function refuseWhileDraining(responder: SipResponder, retryAfterS: number): Promise<void> {
  return sendFinal(responder, 503, 'Service Unavailable', { 'Retry-After': String(retryAfterS) });
}

/**
 * What the orchestrator hears of a new INVITE. A P-Asserted-Identity from outside the trust domain is not
 * passed on: anyone can write one, and an application would take it for a checked identity (RFC 3325 §5).
 */
function offeredFacts(request: SipRequest, trustedSource: boolean): facts.InboundCallOffered {
  const from = nameAddr(request.get('From') ?? '');
  const to = nameAddr(request.get('To') ?? '');
  const headers: Record<string, string> = {};
  for (const [name, value] of Object.entries(request.headers)) {
    const key = name.toLowerCase();
    if (key === 'p-asserted-identity' && !trustedSource) continue;
    if (OFFERED_HEADERS.includes(key) || key.startsWith('x-'))
      headers[key] = Array.isArray(value) ? value.join(', ') : String(value);
  }
  return {
    fromUri: from.uri,
    toUri: to.uri,
    sipCallId: request.get('Call-ID') ?? '',
    fromDisplayName: from.displayName ?? '',
    headers,
  };
}

function optional<K extends string>(key: K, value: string | undefined): Partial<Record<K, string>> {
  return value ? ({ [key]: value } as Record<K, string>) : {};
}

function nameAddr(header: string): { uri: string; displayName?: string } {
  try {
    const parsed = parseNameAddr(header);
    return { uri: parsed.uri, ...(parsed.displayName ? { displayName: parsed.displayName } : {}) };
  } catch {
    return { uri: header };
  }
}

/**
 * A new INVITE: reported as InboundCallOffered and held until AnswerLeg or RejectLeg, or until the
 * answer timeout sends the configured default. Without a stored fact nobody could ever answer the call,
 * so a failed publish refuses it at once with 503.
 */
export async function offerInboundCall(
  ctx: LegContext,
  request: SipRequest,
  responder: SipResponder,
  caller: OfferedCaller = {},
): Promise<void> {
  if (!request.body) {
    // A late-offer INVITE would need the platform to make the offer (the media-worker only answers one).
    ctx.log.info({ sipCallId: request.get('Call-ID') }, 'INVITE without SDP refused');
    await sendFinal(responder, 488, 'SDP Offer Required').catch(() => undefined);
    return;
  }
  const wellFormed = checkOffer(request.body);
  const offer = wellFormed.usable ? localAnswerCodecs(ctx.settings.codecs, request.body) : wellFormed;
  if (!offer.usable) {
    // Checked before any fact: junk SDP never becomes a recorded call. Debug only, so that a flood of them
    // cannot flood the log; the caller reads the reason in the Warning.
    ctx.log.debug(
      { sipCallId: request.get('Call-ID'), reason: offer.reason },
      'INVITE with unusable SDP refused',
    );
    await sendFinal(responder, 488, 'Not Acceptable Here', warningHeader(offer.reason)).catch(
      () => undefined,
    );
    return;
  }
  const callId = ctx.newId();
  const legId = ctx.newId();
  const path = ctx.plan.inbound(callId, legId);
  const source = request as Partial<ReceivedRequest>;
  const trustedSource = fromTrustDomain(ctx, { address: source.source_address, port: source.source_port });
  const offered = { ...offeredFacts(request, trustedSource), ...caller, media: { ...path.party } };
  const leg: InboundLeg = {
    direction: 'inbound',
    callId,
    legId,
    sipCallId: offered.sipCallId,
    status: { state: 'offered' },
    log: ctx.log.child({ callId, legId }),
    request,
    responder,
    offerSdp: request.body ?? '',
    // srf's requests carry the transport they came on (ReceivedRequest); a request without it counts as UDP.
    mediaProfile: inboundProfile((request as Partial<ReceivedRequest>).protocol, request.body ?? ''),
    traceparent: workTraceparent(),
    identity: callerIdentity({
      trustedSource,
      ...optional('assertedIdentity', request.get('P-Asserted-Identity')),
      ...optional('authenticatedUser', caller.user),
      ...optional('privacy', request.get('Privacy')),
    }),
  };
  ctx.registry.add(leg);
  request.on('cancel', (cancel) => {
    if (leg.status.state !== 'offered' && leg.status.state !== 'ringing' && leg.status.state !== 'answering')
      return;
    void endLeg(ctx, leg, EndCause.END_CAUSE_CANCELLED, 487, 'caller cancelled', receivedReason(cancel));
  });
  leg.log.info(
    { from: offered.fromUri, to: offered.toUri, sipCallId: offered.sipCallId },
    'inbound call offered',
  );
  // Journalled before the fact goes out on the same connection, so it is stored first: whenever the
  // orchestrator has heard of the leg, a restarted sip-edge finds it too and ends it cleanly.
  ctx.journal.record(journalOf(ctx.plan, leg));
  const recorded = ctx.facts.publish(inboundCallOffered(factIds(ctx, leg), offered));
  // The platform's answer is prepared while the application decides; started after the fact is on its
  // way, so the media-worker's round trips do not hold up the offer (AnswerLeg waits for it if need be).
  // An offer rtpengine refuses is refused to the caller at once, and the leg ends with that cause.
  prepareLocalAnswer(ctx, leg, path.party, (reason) =>
    refuseOffer(ctx, leg, `rtpengine refused the offer: ${reason}`),
  );
  try {
    await recorded;
  } catch (error) {
    leg.log.error({ err: error }, 'inbound call not recorded; refusing it');
    if (leg.status.state === 'ended') return;
    leg.status = { state: 'ended' };
    ctx.registry.remove(leg);
    ctx.journal.forget(leg.legId);
    await sendFinal(responder, 503, 'Call Control Unavailable').catch(() => undefined);
    // The offer may still be stored: a publish that timed out here can sit in the NATS client's buffer
    // and reach the stream when NATS is back. Its end follows it on the same subject, so the log shows
    // the call refused rather than a caller ringing forever (if the offer never arrives, the end is
    // refused and kept as a dead letter).
    report(
      ctx,
      leg,
      legEnded(factIds(ctx, leg), EndCause.END_CAUSE_PLATFORM_FAILURE, 503, 'call control unavailable'),
    );
    await leaveMedia(ctx, leg);
    return;
  }
  if (leg.status.state === 'ended') return;
  leg.answerTimer = setTimeout(() => void answerTimedOut(ctx, leg), ctx.settings.answerTimeoutMs);
}

/** 488 to an offer the media side cannot use, then LegEnded (REJECTED, 488) unless the leg ended already. */
async function refuseOffer(ctx: LegContext, leg: InboundLeg, reason: string): Promise<void> {
  // 'answering' too: an AnswerLeg waiting for this answer then fails on its own retry of it.
  if (hasEnded(leg) || leg.status.state === 'answered') return;
  leg.log.info({ reason }, 'offer refused by the media side');
  clearTimeout(leg.answerTimer);
  await sendFinal(leg.responder, 488, 'Not Acceptable Here', warningHeader(reason)).catch((error: unknown) =>
    leg.log.debug({ err: error }, '488 not sent'),
  );
  await endLeg(ctx, leg, EndCause.END_CAUSE_REJECTED, 488, reason);
}

async function answerTimedOut(ctx: LegContext, leg: InboundLeg): Promise<void> {
  if (leg.status.state !== 'offered' && leg.status.state !== 'ringing') return;
  const status = ctx.settings.defaultRejectStatus;
  const reason = `no answer from the application within ${ctx.settings.answerTimeoutMs} ms`;
  leg.log.warn({ status }, 'answer timeout');
  await sendFinal(leg.responder, status).catch((error: unknown) =>
    leg.log.warn({ err: error }, 'default response not sent'),
  );
  await endLeg(ctx, leg, EndCause.END_CAUSE_NO_ANSWER, status, reason);
}

/** The leg must be an inbound leg that has not been answered or refused yet. */
export function waitingInbound(leg: Leg, action: string): InboundLeg {
  if (leg.direction !== 'inbound')
    throw new IllegalStateError(`cannot ${action} leg ${leg.legId}: it is an outbound leg`, idsOf(leg));
  if (leg.status.state !== 'offered' && leg.status.state !== 'ringing')
    throw new IllegalStateError(`cannot ${action} leg ${leg.legId}: it is ${leg.status.state}`, idsOf(leg));
  return leg;
}

export interface AnswerOptions {
  /** Turn on in-band (tone) DTMF detection of what the caller sends, from the answer on. */
  detectInbandDtmf?: boolean;
}

/**
 * AnswerLeg without a bridge: a one-sided rtpengine session answered by the platform (prepared when the
 * INVITE arrived, else made now), then 200 OK. In-band DTMF detection is asked of the media-worker with the
 * answer; the prepared answer was made without it, so the offer is answered again with it (only then: it
 * costs a media-worker round trip on the answer, which the prepared answer exists to save).
 */
export async function answerInbound(
  ctx: LegContext,
  callId: string,
  legId: string,
  options: AnswerOptions = {},
): Promise<void> {
  const leg = waitingInbound(ctx.registry.live(callId, legId), 'answer');
  const previous = leg.status;
  leg.status = { state: 'answering' };
  let sdp: string;
  try {
    // The plan counts the session as used since the INVITE (prepareLocalAnswer), so a CANCEL during this
    // round trip still deletes it. The prepared answer is taken (awaited) even when it is not used, so the
    // two answers of the caller's offer never cross in rtpengine.
    const prepared = await takeLocalAnswer(leg);
    sdp =
      (!options.detectInbandDtmf ? prepared : undefined) ??
      (await ctx.media.answerLocally(leg.callId, partyOf(ctx, leg), leg.offerSdp, {
        detectDtmf: options.detectInbandDtmf === true,
        profile: leg.mediaProfile,
      }));
  } catch (error) {
    // Still answerable (the caller holds on); the orchestrator may retry or reject.
    if (leg.status.state === 'answering') leg.status = previous;
    throw error;
  }
  leg.detectInbandDtmf = options.detectInbandDtmf === true;
  await completeAnswer(ctx, leg, sdp);
}

/**
 * Sends 200 OK with the SDP from rtpengine and reports LegAnswered. A CANCEL that crossed the answer
 * already ended the leg (the error says so); an engine failure ends the leg as a platform failure.
 */
export async function completeAnswer(ctx: LegContext, leg: InboundLeg, sdp: string): Promise<void> {
  clearTimeout(leg.answerTimer);
  if (leg.status.state === 'ended')
    throw new IllegalStateError(`leg ${leg.legId} ended before it was answered`, idsOf(leg));
  leg.status = { state: 'answering' };
  let dialog;
  try {
    dialog = await ctx.sip.createUAS(leg.request, leg.responder, { localSdp: sdp });
  } catch (error) {
    if (isSipFailure(error) && error.status === 487) {
      await endLeg(ctx, leg, EndCause.END_CAUSE_CANCELLED, 487, 'caller cancelled');
      throw new IllegalStateError(
        `leg ${leg.legId} was cancelled by the caller before the answer`,
        idsOf(leg),
      );
    }
    await endLeg(ctx, leg, EndCause.END_CAUSE_PLATFORM_FAILURE, 0, 'the SIP engine refused the answer');
    throw new UnavailableError(`SIP engine refused the 200 OK for leg ${leg.legId}`, idsOf(leg), {
      cause: error,
    });
  }
  if (hasEnded(leg)) {
    // Cancelled while the 200 was on its way: the engine turns it into a BYE-less 487 or the caller
    // hangs up; either way there is nothing to keep.
    await dialog.destroy().catch(() => undefined);
    throw new IllegalStateError(`leg ${leg.legId} ended while it was being answered`, idsOf(leg));
  }
  leg.status = { state: 'answered', dialog };
  watchDialog(ctx, leg, dialog);
  ctx.journal.record(journalOf(ctx.plan, leg));
  leg.log.info('leg answered');
  report(ctx, leg, legAnswered(factIds(ctx, leg)));
  await byeIfHangupRequested(ctx, leg);
}

export async function rejectInbound(
  ctx: LegContext,
  callId: string,
  legId: string,
  sipStatus: number,
  reason: string,
): Promise<void> {
  const status = checkFinalStatus(sipStatus, { callId, legId });
  const leg = waitingInbound(ctx.registry.live(callId, legId), 'reject');
  await refuseInbound(ctx, leg, status, reason, EndCause.END_CAUSE_REJECTED);
}

/** A final non-2xx to an unanswered inbound leg, then LegEnded with the given cause. */
export async function refuseInbound(
  ctx: LegContext,
  leg: InboundLeg,
  status: number,
  reason: string,
  cause: callEvents.EndCause,
): Promise<void> {
  clearTimeout(leg.answerTimer);
  try {
    await sendFinal(leg.responder, status, reason);
  } catch (error) {
    // The engine no longer has the transaction (a CANCEL crossed us): the cancel handler reports it.
    if (leg.status.state === 'ended') return;
    throw new UnavailableError(`SIP engine refused the ${status} for leg ${leg.legId}`, idsOf(leg), {
      cause: error,
    });
  }
  await endLeg(ctx, leg, cause, status, reason);
}

export async function ringInbound(ctx: LegContext, callId: string, legId: string): Promise<void> {
  const leg = ctx.registry.live(callId, legId);
  if (leg.direction === 'inbound' && leg.status.state === 'ringing') return;
  const inbound = waitingInbound(leg, 'ring');
  await new Promise<void>((resolve, reject) =>
    inbound.responder.send(180, undefined, {}, (error) =>
      error
        ? reject(
            new UnavailableError(`SIP engine refused the 180 for leg ${legId}`, idsOf(leg), { cause: error }),
          )
        : resolve(),
    ),
  );
  if (inbound.status.state === 'offered') inbound.status = { state: 'ringing' };
  report(ctx, leg, legProgress(factIds(ctx, leg), 180, false));
}
