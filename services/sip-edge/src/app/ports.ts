import type { facts } from '@callctl/proto';

/** Where sip-edge reports what happened on its legs (JetStream CALLCTL_FACTS in production). */
export interface FactSink {
  /** Resolves once the fact is stored; facts of one call are stored in the order given. */
  publish(fact: facts.SipFact): Promise<void>;
  /** Resolves when every fact given so far is stored or given up (shutdown). */
  flush(): Promise<void>;
}

/** The media-worker operations sip-edge needs: every SDP it sends goes through rtpengine. */
export interface MediaPort {
  /** One-sided session: the party's offer answered by the platform; returns the SDP to answer it with. */
  answerLocally(sessionId: string, tag: string, offerSdp: string): Promise<string>;
  /** The offering party's SDP through rtpengine; returns the SDP to offer the other party. */
  offer(sessionId: string, fromTag: string, sdp: string): Promise<string>;
  /** The answering party's SDP through rtpengine; returns the SDP to answer the offering party with. */
  answer(sessionId: string, fromTag: string, toTag: string, sdp: string): Promise<string>;
  delete(sessionId: string): Promise<void>;
  /** Removes one party's branch of a session (its one-sided answer), leaving the others. */
  deleteParty(sessionId: string, tag: string): Promise<void>;
}
