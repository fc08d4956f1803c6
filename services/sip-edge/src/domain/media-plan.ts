// sip-edge's media plan: the one place that chooses how each leg's SDP goes through rtpengine, names the
// rtpengine sessions and each party's tag, and decides when a session is deleted. Everyone else (the leg
// modules, the orchestrator, the media-worker) takes the ids it hands out as they are, in MediaParty fields;
// nobody builds or parses them.
//
// Sessions: a call's legs start in the call's session (id = call id, tag = leg id). BridgeLegs moves two
// legs into a new session of their own, named `<call id>/bridge/<unique id>` (still the name a media-worker
// that resolves bridge sessions itself expects; a worker that takes the ids it is given does not care).
// UnbridgeLegs moves each of two bridged legs into a session of its own, `<call id>/alone/<unique id>`,
// where the platform answers it alone (prompts, music, digits) as it answers an inbound caller.

import { IllegalStateError } from './errors.js';

/** Where one party's media is in rtpengine (callctl.events.v1.MediaParty). */
export interface MediaParty {
  readonly sessionId: string;
  readonly tag: string;
}

/**
 * How a leg's SDP goes through rtpengine:
 * - `platform-answer`: an inbound caller's offer answered by the platform (AnswerLocally); the 200 OK carries
 *   that answer, and rtpengine can play to the caller and hear its digits.
 * - `late-offer`: an outbound leg alone. Its INVITE carries no SDP; the callee offers in its 2xx and the
 *   platform answers that offer (AnswerLocally) in the ACK.
 * - `peer-offer`: an outbound leg dialled through for a waiting peer. Its INVITE offers the peer's SDP
 *   (Offer from the peer's tag); the callee's answer goes back to the peer (Answer from the peer to the leg).
 *
 * Offers the platform makes for a party that subscribes to others (forks, recorders, mixers, SIPREC) are a
 * further kind here: rtpengine's subscribe request makes them, in the session of the parties subscribed to.
 */
export type SdpPath =
  | { readonly kind: 'platform-answer'; readonly party: MediaParty }
  | { readonly kind: 'late-offer'; readonly party: MediaParty }
  | { readonly kind: 'peer-offer'; readonly party: MediaParty; readonly peer: MediaParty };

/** A bridge's media: both legs' parties in a session of their own, each keeping its tag. */
export interface BridgeMedia {
  readonly sessionId: string;
  readonly a: MediaParty;
  readonly b: MediaParty;
}

/** Something to remove from rtpengine: a whole session, or one party's branch of it (`tag`). */
export interface MediaRelease {
  readonly sessionId: string;
  readonly tag?: string;
}

interface Session {
  /** Legs whose media the plan put here and that have not left. */
  readonly members: Set<string>;
  /** rtpengine may hold the session: some member's media was asked for. Never used: nothing to delete. */
  used: boolean;
}

/**
 * The session of a call's legs before any bridge moves them. Exported for sip-edge's leg journal only:
 * entries written before they recorded the session were in it.
 */
export function callSessionId(callId: string): string {
  return callId;
}

function bridgeSessionId(callId: string, uniqueId: string): string {
  return `${callId}/bridge/${uniqueId}`;
}

function aloneSessionId(callId: string, uniqueId: string): string {
  return `${callId}/alone/${uniqueId}`;
}

/**
 * The media topology of the legs sip-edge holds: which session each leg's party is in, and which sessions
 * exist. Pure state (no I/O): the leg modules ask it, then act on what it returns.
 */
export class MediaPlan {
  private readonly parties = new Map<string, MediaParty>();
  private readonly sessions = new Map<string, Session>();

  /** A new inbound caller: its offer is answered by the platform in the call's session. */
  inbound(callId: string, legId: string): SdpPath {
    return { kind: 'platform-answer', party: this.place(legId, callSessionId(callId)) };
  }

  /**
   * A new outbound leg: dialled through for `peerLegId` (its offer goes to the callee), or alone (late
   * offer). A dialled-through leg joins the session the peer's media is in.
   */
  outbound(callId: string, legId: string, peerLegId?: string): SdpPath {
    const peer = peerLegId ? this.parties.get(peerLegId) : undefined;
    if (peerLegId && !peer)
      throw new IllegalStateError(`leg ${peerLegId} has no media to dial through`, {
        callId,
        legId: peerLegId,
      });
    if (!peer) return { kind: 'late-offer', party: this.place(legId, callSessionId(callId)) };
    return { kind: 'peer-offer', party: this.place(legId, peer.sessionId), peer };
  }

  /** Where the leg's media is now; undefined for a leg the plan does not hold (never placed, or left). */
  partyOf(legId: string): MediaParty | undefined {
    return this.parties.get(legId);
  }

  /**
   * The leg's media is being asked of rtpengine: its session exists from now on (even if the request is
   * still in flight when the leg ends), so it is deleted when its last member leaves.
   */
  used(legId: string): void {
    const party = this.parties.get(legId);
    if (party) this.sessions.get(party.sessionId)!.used = true;
  }

  /** The media of a bridge of two legs: a new session, each leg keeping its tag. Nothing moves yet. */
  bridge(callId: string, legAId: string, legBId: string, uniqueId: string): BridgeMedia {
    const sessionId = bridgeSessionId(callId, uniqueId);
    return { sessionId, a: { sessionId, tag: legAId }, b: { sessionId, tag: legBId } };
  }

  /**
   * Both legs accepted the bridge: their parties are in its session from now on. Returns what to remove of
   * the sessions they left: a session nobody is left in, else the leg's own branch of it.
   */
  joined(bridge: BridgeMedia): MediaRelease[] {
    return this.moved([bridge.a, bridge.b]);
  }

  /**
   * A session of its own for one leg (UnbridgeLegs), keeping the leg's tag; nothing moves yet. Its media
   * is asked for before the leg moves: `abandoned` removes it if the leg never does.
   */
  alone(callId: string, legId: string, uniqueId: string): MediaParty {
    return { sessionId: aloneSessionId(callId, uniqueId), tag: legId };
  }

  /**
   * The legs (by tag) accepted the media of `parties`: they are there from now on, and those sessions are
   * used. Returns what to remove of the sessions they left: a session nobody is left in, else the leg's own
   * branch of it.
   */
  moved(parties: readonly MediaParty[]): MediaRelease[] {
    const releases: MediaRelease[] = [];
    for (const party of parties) {
      const left = this.remove(party.tag);
      if (left?.emptied) {
        if (left.used) releases.push({ sessionId: left.party.sessionId });
      } else if (left) releases.push(left.party);
      this.place(party.tag, party.sessionId);
      this.sessions.get(party.sessionId)!.used = true;
    }
    return releases;
  }

  /** The move did not happen: the new session goes (unless a leg is in it), the legs stay where they were. */
  abandoned(planned: { readonly sessionId: string }): MediaRelease[] {
    return this.sessions.has(planned.sessionId) ? [] : [{ sessionId: planned.sessionId }];
  }

  /** The leg ended: returns the session to delete when it was the last one in it (and rtpengine has it). */
  leave(legId: string): MediaRelease[] {
    const left = this.remove(legId);
    return left?.emptied && left.used ? [{ sessionId: left.party.sessionId }] : [];
  }

  private remove(legId: string): { party: MediaParty; emptied: boolean; used: boolean } | undefined {
    const party = this.parties.get(legId);
    if (!party) return undefined;
    this.parties.delete(legId);
    const session = this.sessions.get(party.sessionId)!;
    session.members.delete(legId);
    const emptied = session.members.size === 0;
    if (emptied) this.sessions.delete(party.sessionId);
    return { party, emptied, used: session.used };
  }

  private place(legId: string, sessionId: string): MediaParty {
    let session = this.sessions.get(sessionId);
    if (!session) this.sessions.set(sessionId, (session = { members: new Set(), used: false }));
    session.members.add(legId);
    const party = { sessionId, tag: legId };
    this.parties.set(legId, party);
    return party;
  }
}
