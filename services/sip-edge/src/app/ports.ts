import type { facts } from '@callctl/proto';
import type { MediaParty, MediaRelease } from '../domain/media-plan.js';
import type { MediaProfile } from '../domain/media-profile.js';

/** Where sip-edge reports what happened on its legs (JetStream CALLCTL_FACTS in production). */
export interface FactSink {
  /** Resolves once the fact is stored; facts of one call are stored in the order given. */
  publish(fact: facts.SipFact): Promise<void>;
  /** Resolves when every fact given so far is stored or given up (shutdown). */
  flush(): Promise<void>;
}

/**
 * The media-worker operations sip-edge needs: every SDP it sends goes through rtpengine. Parties are where
 * the media plan put them; `callId` is the call the media-worker reports the session's media facts under.
 */
export interface MediaPort {
  /**
   * One-sided session: the party's offer answered by the platform; returns the SDP to answer it with.
   * `detectDtmf` also turns on in-band (tone) DTMF detection of what the party sends; `profile` is the
   * party's media profile, which the answer is made in.
   */
  answerLocally(
    callId: string,
    party: MediaParty,
    offerSdp: string,
    options?: { detectDtmf?: boolean; profile?: MediaProfile | undefined },
  ): Promise<string>;
  /**
   * The offering party's SDP through rtpengine; returns the SDP to offer the other party, in `towards`
   * (that party's media profile; absent: the offer's own transport).
   */
  offer(callId: string, offerer: MediaParty, sdp: string, towards?: MediaProfile): Promise<string>;
  /**
   * The answering party's SDP through rtpengine (both parties in one session); returns the SDP to answer
   * the offering party with, in `back` (the offering party's media profile).
   */
  answer(
    callId: string,
    offerer: MediaParty,
    answerer: MediaParty,
    sdp: string,
    back?: MediaProfile,
  ): Promise<string>;
  /** Removes a whole session, or one party's branch of it, leaving the others. */
  release(release: MediaRelease): Promise<void>;
}
