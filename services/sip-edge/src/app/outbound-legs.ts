import { ATTR, workTraceparent } from '@callctl/telemetry';
import { outboundProfile } from '../domain/media-profile.js';
import { callEvents } from '@callctl/proto';
import { checkDialUri } from '../domain/dial-target.js';
import type { MediaParty, SdpPath } from '../domain/media-plan.js';
import { endCauseOfFinalStatus, type CancelReason, type EndCause } from '../domain/end-cause.js';
import { IllegalStateError, UnavailableError, ValidationError } from '../domain/errors.js';
import type { OutboundTarget } from '../domain/outbound-target.js';
import { legAnswered, legProgress, outboundLegSent } from '../domain/sip-facts.js';
import { relayProvisional } from './early-media.js';
import { completeAnswer } from './inbound-legs.js';
import { endSipSpan, factIds, report, sipSpan, type LegContext } from './leg-context.js';
import { journalOf } from './leg-journal.js';
import { leaveMedia } from './leg-media.js';
import { sdpForLeg } from './leg-sdp.js';
import { releaseLocalAnswer } from './local-answer.js';
import {
  byeIfHangupRequested,
  byeLeg,
  endLeg,
  reasonHeader,
  receivedReason,
  watchDialog,
} from './leg-endings.js';
import { dialogOf, hasEnded, idsOf, type InboundLeg, type OutboundLeg } from './leg-registry.js';
import { outboundTarget, wayOf, type Way } from './outbound-route.js';
import { isDialog, isSipFailure, type LateOffer, type SipDialog, type SipHeaders } from './sip-stack.js';

const { EndCause } = callEvents;

export interface PlaceCallInput {
  callId: string;
  legId: string;
  toUri: string;
  fromUri: string;
  ringTimeoutMs: number;
  bridgeWithLegId: string;
  headers: SipHeaders;
}

/** Headers PlaceCall may not set: srf and the engine own them. */
const RESERVED_HEADERS = new Set([
  'call-id',
  'cseq',
  'via',
  'to',
  'contact',
  'content-length',
  'content-type',
  'max-forwards',
  'route',
  'record-route',
]);

function bridgePeer(ctx: LegContext, input: PlaceCallInput): InboundLeg | undefined {
  if (!input.bridgeWithLegId) return undefined;
  const peer = ctx.registry.live(input.callId, input.bridgeWithLegId);
  if (peer.direction !== 'inbound')
    throw new IllegalStateError(
      `cannot bridge with leg ${peer.legId}: only inbound legs can be dialled through`,
      idsOf(peer),
    );
  if (peer.status.state !== 'offered' && peer.status.state !== 'ringing' && peer.status.state !== 'answered')
    throw new IllegalStateError(
      `cannot bridge with leg ${peer.legId}: it is ${peer.status.state}`,
      idsOf(peer),
    );
  return peer;
}

/**
 * The identity headers a dialled-through caller lends the INVITE, unless PlaceCall set its own: the
 * caller's asserted identity (sent only to the trust domain, outbound-identity.ts) and its Privacy.
 */
function callerHeaders(headers: SipHeaders, peer: InboundLeg | undefined): SipHeaders {
  const given = new Set(Object.keys(headers).map((name) => name.toLowerCase()));
  const out: SipHeaders = {};
  const identity = peer?.identity;
  if (identity?.assertedIdentity && !given.has('p-asserted-identity'))
    out['P-Asserted-Identity'] = identity.assertedIdentity;
  if (identity?.privacy && !given.has('privacy')) out['Privacy'] = identity.privacy;
  return out;
}

/** What PlaceCall replies once the INVITE is out. */
export interface PlacedCall {
  sipCallId: string;
  /** Where the media plan put the leg's media. */
  media: MediaParty;
}

/**
 * Sends the INVITE of a new outbound leg and resolves with its SIP Call-ID once the engine has sent it;
 * everything after (provisionals, answer, failure, ring timeout) is reported as facts. The media plan
 * chooses the leg's SDP path: a peer offer when dialled through for a waiting inbound leg, else a late offer.
 */
export async function placeCall(ctx: LegContext, input: PlaceCallInput): Promise<PlacedCall> {
  const context = { callId: input.callId, legId: input.legId };
  if (!input.callId || !input.legId) throw new ValidationError('call_id and leg_id are required', context);
  const existing = ctx.registry.find(input.legId);
  if (existing) {
    if (existing.callId !== input.callId || existing.direction !== 'outbound' || !existing.sending)
      throw new IllegalStateError(`leg ${input.legId} already exists`, context);
    return existing.sending; // a retried PlaceCall: the same INVITE
  }
  const fromUri = input.fromUri
    ? checkDialUri(input.fromUri, 'from_uri', context)
    : ctx.settings.defaultFromUri;
  const target = outboundTarget(ctx.routing, input.toUri, fromUri, context);
  const headers: SipHeaders = {};
  for (const [name, value] of Object.entries(input.headers)) {
    if (RESERVED_HEADERS.has(name.toLowerCase()))
      throw new ValidationError(`header ${name} cannot be set by PlaceCall`, context);
    headers[name] = value;
  }
  headers['From'] = `<${fromUri}>`;
  const peer = bridgePeer(ctx, input);
  Object.assign(headers, callerHeaders(headers, peer));
  const path = ctx.plan.outbound(input.callId, input.legId, peer?.legId);
  const leg: OutboundLeg = {
    direction: 'outbound',
    callId: input.callId,
    legId: input.legId,
    sipCallId: '',
    status: { state: 'calling' },
    log: ctx.log.child({ callId: input.callId, legId: input.legId }),
    traceparent: workTraceparent(),
    progressSeen: new Set(),
    ...(peer ? { bridge: { status: 'dialling', peerLegId: peer.legId } } : {}),
  };
  // Registered before the first await, so a retry of this PlaceCall finds it instead of dialling twice.
  ctx.registry.add(leg);
  const sending = dial(ctx, leg, peer, path, target, headers, input.ringTimeoutMs).then((sipCallId) => ({
    sipCallId,
    media: path.party,
  }));
  leg.sending = sending;
  leg.sending.catch(() => undefined);
  return leg.sending;
}

/** The INVITE could not go out: the leg is forgotten, with its place in the media plan. */
function abandon(ctx: LegContext, leg: OutboundLeg): void {
  ctx.registry.remove(leg);
  leg.status = { state: 'ended' };
  void leaveMedia(ctx, leg);
}

/**
 * The leg's INVITE by way of its target: a SIP URI as given, a trunk's gateways one after the other, a
 * user's contacts in parallel. A target nothing can be called for ends the leg at once (LegEnded with the
 * cause; PlaceCall itself succeeds, with no SIP Call-ID).
 */
async function dial(
  ctx: LegContext,
  leg: OutboundLeg,
  peer: InboundLeg | undefined,
  path: SdpPath,
  target: OutboundTarget,
  headers: SipHeaders,
  requestedRingTimeoutMs: number,
): Promise<string> {
  const way = await wayOf(ctx, leg, target).catch((error: unknown) => {
    abandon(ctx, leg);
    throw error;
  });
  if (way.kind === 'unroutable') {
    await endLeg(ctx, leg, way.cause, way.sipStatus, way.reason);
    return '';
  }
  return sendInvite(ctx, leg, peer, path, way, headers, requestedRingTimeoutMs);
}

async function sendInvite(
  ctx: LegContext,
  leg: OutboundLeg,
  peer: InboundLeg | undefined,
  path: SdpPath,
  way: Way,
  headers: SipHeaders,
  requestedRingTimeoutMs: number,
): Promise<string> {
  const toUri = way.to;
  leg.mediaProfile = outboundProfile(way.transports, ctx.settings.sdesOverTls === true);
  let localSdp: string | undefined;
  if (path.kind === 'peer-offer' && peer) {
    ctx.plan.used(leg.legId);
    try {
      // The caller's offer now goes to the dialled party: the answer prepared for it goes first.
      await releaseLocalAnswer(ctx, peer);
      localSdp = await ctx.media.offer(leg.callId, path.peer, peer.offerSdp, leg.mediaProfile);
    } catch (error) {
      abandon(ctx, leg);
      throw error;
    }
    // The application decided what to do with the waiting caller: the answer timeout no longer applies.
    clearTimeout(peer.answerTimer);
  }
  const ringTimeoutMs = requestedRingTimeoutMs || ctx.settings.defaultRingTimeoutMs;
  // The INVITE transaction, up to its final response; the engine's callbacks run under it, so what they
  // report (facts) is its child.
  const invite = sipSpan(leg, 'INVITE');
  return new Promise<string>((resolveSent, rejectSent) => {
    let sent = false;
    const outcome = way.dialler(
      { headers, ...(localSdp ? { localSdp } : { noAck: true }) },
      {
        cbRequest: (error, request) =>
          invite.run(() => {
            if (error || !request) return; // the promise below rejects too
            if (sent) {
              // The next INVITE of the same leg: a trunk's next gateway, or a challenge answered.
              leg.sent = request;
              leg.sipCallId = request.get('Call-ID') ?? leg.sipCallId;
              leg.log.info({ uri: request.uri, sipCallId: leg.sipCallId }, 'INVITE sent again');
              ctx.journal.record(journalOf(ctx.plan, leg));
              if (leg.cancelReason) cancelSent(leg);
              return;
            }
            sent = true;
            leg.sent = request;
            leg.sipCallId = request.get('Call-ID') ?? '';
            invite.setAttributes({ [ATTR.sipCallId]: leg.sipCallId });
            leg.log.info({ to: toUri, sipCallId: leg.sipCallId, ringTimeoutMs }, 'INVITE sent');
            leg.ringTimer = setTimeout(() => cancelInvite(ctx, leg, 'ring-timeout'), ringTimeoutMs);
            resolveSent(leg.sipCallId);
            ctx.journal.record(journalOf(ctx.plan, leg));
            report(ctx, leg, outboundLegSent(factIds(ctx, leg), leg.sipCallId, path.party, way.routed));
            if (leg.hangupRequested) cancelInvite(ctx, leg, 'hangup');
          }),
        cbProvisional: (response) =>
          invite.run(() => {
            invite.addEvent(`sip ${response.status}`, { [ATTR.sipStatus]: response.status });
            if (
              leg.status.state === 'ended' ||
              leg.progressSeen.has(response.status) ||
              response.status === 100
            )
              return;
            leg.progressSeen.add(response.status);
            if (leg.status.state === 'calling') leg.status = { state: 'ringing' };
            const earlyMedia = response.status === 183 && Boolean(response.body);
            report(ctx, leg, legProgress(factIds(ctx, leg), response.status, earlyMedia));
            if (peer && path.kind === 'peer-offer') relayProvisional(ctx, leg, peer, path, response);
          }),
      },
    );
    outcome.then(
      (result) => {
        endSipSpan(invite, isDialog(result) ? 200 : result.res.status);
        invite.run(() => void answered(ctx, leg, peer, path, result));
      },
      (error: unknown) => {
        endSipSpan(invite, isSipFailure(error) ? error.status : 0, error);
        if (!sent) {
          abandon(ctx, leg);
          rejectSent(
            new UnavailableError(`the SIP engine did not send the INVITE to ${toUri}`, idsOf(leg), {
              cause: error,
            }),
          );
          return;
        }
        void failed(ctx, leg, error);
      },
    );
  });
}

/**
 * CANCEL of an INVITE that has no final response. After a provisional the far end answers it with 487,
 * which ends the leg. Before any provisional the engine must hold the CANCEL (RFC 3261 9.1) and a silent
 * far end would keep the leg until timer B (32 s): the leg ends at once instead, and a late 2xx is BYEd.
 */
function cancelInvite(ctx: LegContext, leg: OutboundLeg, reason: CancelReason): void {
  if (leg.status.state !== 'calling' && leg.status.state !== 'ringing') return;
  // One CANCEL per INVITE: the ring timer and a hangup (the orchestrator's own ring timeout) may both come.
  if (!leg.sent || leg.cancelReason) return;
  leg.cancelReason = reason;
  leg.log.info({ reason }, 'cancelling INVITE');
  cancelSent(leg);
  if (leg.status.state === 'calling') {
    const cause = reason === 'ring-timeout' ? EndCause.END_CAUSE_NO_ANSWER : EndCause.END_CAUSE_LOCAL_HANGUP;
    void endLeg(
      ctx,
      leg,
      cause,
      0,
      reason === 'ring-timeout' ? 'no response before the ring timeout' : 'hangup',
    );
  }
}

/**
 * The CANCEL of the leg's INVITE, with an RFC 3326 Reason: Q.850 19 (no answer) at the ring timeout, else
 * the hangup's cause (16 normal clearing unless HangupLeg named another).
 */
function cancelSent(leg: OutboundLeg): void {
  const reason =
    leg.cancelReason === 'ring-timeout'
      ? reasonHeader(EndCause.END_CAUSE_NO_ANSWER, 'ring timeout')
      : reasonHeader(
          leg.hangupRequested?.why ?? EndCause.END_CAUSE_LOCAL_HANGUP,
          leg.hangupRequested?.reason ?? '',
        );
  try {
    leg.sent?.cancel({ headers: { Reason: reason } });
  } catch (error) {
    leg.log.warn({ err: error }, 'CANCEL not sent');
  }
}

/** Hangup of an outbound leg that has not answered: CANCEL now, or as soon as the INVITE is out. */
export function hangupRingingOutbound(
  ctx: LegContext,
  leg: OutboundLeg,
  reason: string,
  why?: EndCause,
): void {
  leg.hangupRequested = { sipStatus: 0, reason, ...(why !== undefined ? { why } : {}) };
  cancelInvite(ctx, leg, 'hangup');
}

async function failed(ctx: LegContext, leg: OutboundLeg, error: unknown): Promise<void> {
  if (isSipFailure(error)) {
    const cause = endCauseOfFinalStatus(error.status, leg.cancelReason);
    const reason = leg.cancelReason === 'ring-timeout' ? 'ring timeout' : (error.reason ?? '');
    await endLeg(ctx, leg, cause, error.status, reason, receivedReason(error.res));
    return;
  }
  leg.log.warn({ err: error }, 'outbound INVITE failed without a SIP status');
  await endLeg(
    ctx,
    leg,
    EndCause.END_CAUSE_UNREACHABLE,
    0,
    error instanceof Error ? error.message : String(error),
  );
}

async function answered(
  ctx: LegContext,
  leg: OutboundLeg,
  peer: InboundLeg | undefined,
  path: SdpPath,
  result: SipDialog | LateOffer,
): Promise<void> {
  clearTimeout(leg.ringTimer);
  if (hasEnded(leg)) {
    // Hung up or timed out before the 2xx crossed our CANCEL: nobody wants this dialog any more.
    await result.destroy().catch(() => undefined);
    return;
  }
  leg.status = { state: 'answering' };
  let dialog: SipDialog;
  let peerSdp: string | undefined;
  try {
    if (isDialog(result)) {
      dialog = result;
      await leg.earlyRelay;
      if (path.kind === 'peer-offer')
        peerSdp = await ctx.media.answer(
          leg.callId,
          path.peer,
          path.party,
          dialog.remote.sdp,
          peer?.mediaProfile,
        );
    } else {
      ctx.plan.used(leg.legId);
      const answer = await ctx.media
        .answerLocally(leg.callId, path.party, result.sdp, { profile: leg.mediaProfile })
        .catch(async (error: unknown) => {
          await result.destroy();
          throw error;
        });
      dialog = await result.ack(answer);
    }
  } catch (error) {
    leg.log.error({ err: error }, 'answered leg could not get media');
    if (isDialog(result)) await result.destroy().catch(() => undefined);
    await endLeg(ctx, leg, EndCause.END_CAUSE_PLATFORM_FAILURE, 0, 'media could not be set up');
    return;
  }
  if (hasEnded(leg)) {
    await dialog.destroy().catch(() => undefined);
    return;
  }
  leg.status = { state: 'answered', dialog };
  watchDialog(ctx, leg, dialog);
  ctx.journal.record(journalOf(ctx.plan, leg));
  if (peer && peer.status.state === 'ended') {
    // The caller left while this leg rang: nobody to bridge with.
    report(ctx, leg, legAnswered(factIds(ctx, leg)));
    await byeLeg(ctx, leg, EndCause.END_CAUSE_BRIDGE_PEER_ENDED, 'bridge peer ended');
    return;
  }
  leg.log.info('leg answered');
  report(ctx, leg, legAnswered(factIds(ctx, leg)));
  if (peer && peerSdp !== undefined) {
    leg.bridge = { status: 'joined', peerLegId: peer.legId };
    peer.bridge = { status: 'joined', peerLegId: leg.legId };
    await connectPeer(ctx, peer, peerSdp);
  }
  await byeIfHangupRequested(ctx, leg);
}

/**
 * Gives the inbound peer rtpengine's answer: a 200 OK when it still waits, or a re-INVITE when it was
 * answered locally before and rtpengine moved its media.
 */
async function connectPeer(ctx: LegContext, peer: InboundLeg, sdp: string): Promise<void> {
  if (peer.status.state === 'offered' || peer.status.state === 'ringing') {
    await completeAnswer(ctx, peer, sdp).catch((error: unknown) =>
      peer.log.warn({ err: error }, 'bridged inbound leg not answered'),
    );
    return;
  }
  const dialog = dialogOf(peer);
  if (dialog && mediaAddress(dialog.local.sdp) !== mediaAddress(sdp)) {
    peer.log.info(
      { from: mediaAddress(dialog.local.sdp), to: mediaAddress(sdp) },
      'media of the bridged leg moved; re-INVITE',
    );
    // A held peer stays held, and the o= version is above the one it has. No REINVITE_TIMEOUT_MS here: a
    // late answer must not be undone, since the media moved for good.
    await dialog
      .modify(sdpForLeg({ leg: peer, dialog }, sdp))
      .catch((error: unknown) => peer.log.warn({ err: error }, 're-INVITE of the bridged leg failed'));
  }
}

/** `address port` of the first audio stream of an SDP. */
function mediaAddress(sdp: string): string {
  const address = /^c=IN IP[46] (\S+)/m.exec(sdp)?.[1] ?? '';
  const port = /^m=audio (\d+)/m.exec(sdp)?.[1] ?? '';
  return `${address} ${port}`;
}
