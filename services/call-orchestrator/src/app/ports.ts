// What the app layer needs from the outside world. Adapters implement these; tests use the same adapters
// against real peers (or, for sip-edge, a recording server speaking the real gRPC contract).

/** The SIP actions of sip-edge (proto/callctl/sipedge/v1). Each call carries its own deadline. */
export interface SipEdgePort {
  placeCall(request: {
    callId: string;
    legId: string;
    toUri: string;
    fromUri: string;
    ringTimeoutMs: number;
    bridgeWithLegId: string;
  }): Promise<{ sipCallId: string; media?: MediaParty }>;
  answerLeg(callId: string, legId: string): Promise<void>;
  rejectLeg(callId: string, legId: string, sipStatus: number, reason: string): Promise<void>;
  /** Ends a leg in whatever SIP state it is; a leg sip-edge no longer holds counts as ended. */
  hangupLeg(callId: string, legId: string, reason: string): Promise<void>;
  /**
   * Joins the media of two answered legs by re-INVITEs (RFC 3725). A far end's refusal is ILLEGAL_STATE
   * naming the leg and SIP status; on any failure both legs keep their media. Already bridged together: ok.
   */
  /**
   * `bridge`: the bridge id and idempotency key decided, which sip-edge's LegsBridged fact carries back.
   * Resolves with the media session both legs' media is in now.
   */
  bridgeLegs(
    callId: string,
    legAId: string,
    legBId: string,
    bridge: { bridgeId: string; idempotencyKey: string },
  ): Promise<{ mediaSessionId: string }>;
  /** The legs sip-edge holds now; `sipState`: offered (inbound, not answered), ringing or answered. */
  listLegs(): Promise<Array<{ callId: string; legId: string; sipState: string }>>;
}

/** Where a leg's media is in rtpengine, as sip-edge reported it (the leg's `media` in the call state). */
export type MediaParty = { readonly sessionId: string; readonly tag: string };

/**
 * Media operations of the media-worker (proto/callctl/media/v1) on one party: the session and tag where the
 * leg's media is now. `callId` is the call the worker reports the playback's facts under.
 */
export interface MediaPort {
  play(request: {
    callId: string;
    party: MediaParty;
    source: string;
    repeat: number;
    playbackId: string;
  }): Promise<void>;
  stopPlay(party: MediaParty): Promise<void>;
  startEcho(party: MediaParty): Promise<void>;
  stopEcho(party: MediaParty): Promise<void>;
  /** Resolves once the worker has published every fact it took for the call (FlushFacts), within `timeoutMs`. */
  flushFacts(callId: string, timeoutMs: number): Promise<void>;
}

/** Milliseconds since the epoch. */
export type Clock = () => number;

export interface IdSource {
  /** A fresh, time-ordered UUID (event ids). */
  next(): string;
  /** The same UUID for the same parts: ids derived from idempotency keys and fact ids survive a retry. */
  fromName(...parts: string[]): string;
}
