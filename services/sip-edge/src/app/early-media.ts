import type { SdpPath } from '../domain/media-plan.js';
import { legProgress } from '../domain/sip-facts.js';
import { factIds, report, type LegContext } from './leg-context.js';
import type { InboundLeg, OutboundLeg } from './leg-registry.js';
import type { SipResponseMessage } from './sip-stack.js';

type PeerOffer = Extract<SdpPath, { kind: 'peer-offer' }>;

function isWaiting(peer: InboundLeg): boolean {
  return peer.status.state === 'offered' || peer.status.state === 'ringing';
}

function sendProvisional(peer: InboundLeg, status: number, body: string | undefined): Promise<void> {
  return new Promise((resolve, reject) =>
    peer.responder.send(status, undefined, body ? { body } : {}, (error) =>
      error ? reject(error) : resolve(),
    ),
  );
}

/**
 * Passes a provisional of a dialled leg on to the inbound caller it will be bridged with, as a B2BUA does:
 * 180 as ringing, and a provisional with SDP (early media: ringback tones, announcements) as 183 with
 * rtpengine's answer, so the caller hears the callee's network before the answer. Relays of one leg run in
 * order, and the final answer waits for them (see `leg.earlyRelay`).
 */
export function relayProvisional(
  ctx: LegContext,
  leg: OutboundLeg,
  peer: InboundLeg,
  path: PeerOffer,
  response: SipResponseMessage,
): void {
  const previous = leg.earlyRelay ?? Promise.resolve();
  leg.earlyRelay = previous
    .then(() => relay(ctx, leg, peer, path, response))
    .catch((error: unknown) =>
      peer.log.warn({ err: error, status: response.status }, 'provisional not relayed'),
    );
}

async function relay(
  ctx: LegContext,
  leg: OutboundLeg,
  peer: InboundLeg,
  path: PeerOffer,
  response: SipResponseMessage,
): Promise<void> {
  if (!isWaiting(peer) || leg.status.state === 'ended') return;
  if (response.body) {
    const sdp = await ctx.media.answer(leg.callId, path.peer, path.party, response.body, peer.mediaProfile);
    if (!isWaiting(peer)) return;
    await sendProvisional(peer, 183, sdp);
    peer.status = { state: 'ringing' };
    report(ctx, peer, legProgress(factIds(ctx, peer), 183, true));
    return;
  }
  if (response.status !== 180 || peer.status.state === 'ringing') return;
  await sendProvisional(peer, 180, undefined);
  peer.status = { state: 'ringing' };
  report(ctx, peer, legProgress(factIds(ctx, peer), 180, false));
}
