import type { Logger } from '@callctl/logging';
import { NotFoundError, UnavailableError } from '../../domain/errors.js';
import {
  DTMF_PAUSE_MS,
  negotiatesTelephoneEvent,
  silenceTargetOf,
  type SilenceTarget,
} from '../../domain/dtmf-sending.js';
import { PartyMap } from '../party-map.js';
import type {
  AnswerParams,
  MediaRelay,
  NegotiationRecord,
  OfferParams,
  SinkMedia,
  StateTable,
} from '../ports.js';
import { keep, partyKey, survivingRecords, type PresenceOf } from '../worker-state.js';

export interface DtmfSendingDeps {
  relay: MediaRelay;
  /** The worker's own party: it must send media while digits are injected from it. */
  sink: SinkMedia;
  /** Relayed negotiations with inject DTMF on, for re-offers and the next run of the worker. */
  state: StateTable<NegotiationRecord>;
  log: Logger;
}

/** Media after the last digit: rtpengine ends an event with three end packets. */
const TAIL_MS = 300;

/**
 * Sends DTMF into a session with rtpengine's play DTMF, from the party that is NOT the one hearing it.
 * play DTMF needs `inject DTMF` in the session's offer and answer, which puts the session through the
 * transcoder (CPU, see bench/inject-dtmf.bench.ts), so it is not set on every call: the first SendDtmf of a
 * session re-negotiates it (the same offer and answer again, with the flag; rtpengine keeps the ports and
 * the SDP), and sessions with it on are remembered, so that later re-offers keep it and a restart knows.
 *
 * This module keeps the offer and answer of relayed sessions (Offer, Answer); a locally answered party's
 * re-negotiation is the echo module's (it owns that party's offer and the sink's answer), and the digits are
 * then sent from the worker's own party, which must send media meanwhile: rtpengine puts the events into
 * the sender's media, and without it answers ok and sends nothing (seen with 10.5, README).
 */
export class DtmfSending {
  readonly name = 'dtmf-sending';
  /** By session and offerer's tag: the offer, then its answer, as sent to the relay. */
  private readonly offers = new PartyMap<OfferParams>();
  private readonly answers = new PartyMap<AnswerParams>();
  /** By session and the hearing caller's tag: the worker's own party there and where its silence goes. */
  private readonly sinkTargets = new PartyMap<{ localTag: string; target: SilenceTarget }>();

  constructor(private readonly deps: DtmfSendingDeps) {}

  /** Whether a relayed offer from `fromTag` must carry inject DTMF (it was turned on for the session). */
  injecting(sessionId: string, fromTag: string): boolean {
    return this.offers.get(sessionId, fromTag)?.injectDtmf === true;
  }

  /** A relayed offer the relay took (a re-offer replaces the earlier one). */
  noteOffer(offer: OfferParams): void {
    this.offers.set(offer.sessionId, offer.fromTag, offer);
    if (offer.injectDtmf) void this.remember(offer.sessionId, offer.fromTag);
  }

  /** A relayed answer the relay took. */
  noteAnswer(answer: AnswerParams): void {
    this.answers.set(answer.sessionId, answer.fromTag, answer);
    if (answer.injectDtmf) void this.remember(answer.sessionId, answer.fromTag);
  }

  /**
   * The relayed negotiation `tag` is part of, with the other party's tag and `tag`'s own SDP; undefined
   * when the worker saw no offer and answer with it.
   */
  relayedParty(
    sessionId: string,
    tag: string,
  ): { offer: OfferParams; answer: AnswerParams; sender: string; sdp: string } | undefined {
    for (const [offerer, offer] of this.offers.partiesOf(sessionId)) {
      const answer = this.answers.get(sessionId, offerer);
      if (!answer) continue;
      if (offerer === tag) return { offer, answer, sender: answer.toTag, sdp: offer.sdp };
      if (answer.toTag === tag) return { offer, answer, sender: offerer, sdp: answer.sdp };
    }
    return undefined;
  }

  /**
   * Sends `keys` to `tag` of a relayed session, from the other party; false when `tag` did not negotiate
   * telephone-event. The first time, the session is re-negotiated with inject DTMF.
   */
  async sendRelayed(sessionId: string, tag: string, keys: string[], durationMs: number): Promise<boolean> {
    const party = this.relayedParty(sessionId, tag);
    if (!party)
      throw new NotFoundError(`no offer and answer of ${tag} known in session ${sessionId}`, {
        sessionId,
        tag,
      });
    if (!negotiatesTelephoneEvent(party.sdp)) return false;
    if (!party.offer.injectDtmf) await this.renegotiate(sessionId, tag, { injectDtmf: true });
    await this.play(sessionId, party.sender, keys, durationMs);
    return true;
  }

  /**
   * Sends the relayed offer and answer `tag` is part of again (with inject DTMF on when asked, kept from
   * then on); rtpengine keeps the ports and SDP. False when the worker knows no such negotiation.
   */
  async renegotiate(sessionId: string, tag: string, change: { injectDtmf?: true } = {}): Promise<boolean> {
    const party = this.relayedParty(sessionId, tag);
    if (!party) return false;
    const offer = { ...party.offer, ...change };
    const answer = { ...party.answer, ...change };
    await this.deps.relay.offer(offer);
    await this.deps.relay.answer(answer);
    this.offers.set(sessionId, offer.fromTag, offer);
    this.answers.set(sessionId, offer.fromTag, answer);
    if (change.injectDtmf) await this.remember(sessionId, offer.fromTag);
    this.deps.log.info({ sessionId, tag, ...change }, 'relayed session re-negotiated');
    return true;
  }

  /**
   * The worker's own party `localTag` answering `callerTag` was (re-)negotiated with inject DTMF, and the
   * relay offered it `offeredSdp`: where it sends from now on.
   */
  noteSinkOffer(sessionId: string, callerTag: string, localTag: string, offeredSdp: string): void {
    const target = silenceTargetOf(offeredSdp);
    if ('error' in target) throw new UnavailableError(target.error, { sessionId, tag: callerTag });
    this.sinkTargets.set(sessionId, callerTag, { localTag, target });
  }

  /** Whether noteSinkOffer was told about `callerTag`'s local party in this run. */
  knowsSink(sessionId: string, callerTag: string): boolean {
    return this.sinkTargets.get(sessionId, callerTag) !== undefined;
  }

  /** Sends `keys` to `callerTag` from the worker's own party answering it, which sends silence meanwhile. */
  async sendFromSink(
    sessionId: string,
    callerTag: string,
    keys: string[],
    durationMs: number,
  ): Promise<void> {
    const sink = this.sinkTargets.get(sessionId, callerTag);
    if (!sink) throw new NotFoundError(`no local party of ${callerTag} known in session ${sessionId}`);
    await this.deps.sink.keepSending(sink.target, keys.length * (durationMs + DTMF_PAUSE_MS) + TAIL_MS);
    await this.play(sessionId, sink.localTag, keys, durationMs);
  }

  /** One play DTMF per key, in order: rtpengine queues them. */
  private async play(sessionId: string, sender: string, keys: string[], durationMs: number): Promise<void> {
    for (const key of keys) await this.deps.relay.playDtmf(sessionId, sender, key, durationMs);
    this.deps.log.info({ sessionId, sender, digits: keys.length, durationMs }, 'DTMF sent');
  }

  private async remember(sessionId: string, offerer: string): Promise<void> {
    const offer = this.offers.get(sessionId, offerer);
    const answer = this.answers.get(sessionId, offerer);
    if (!offer || !answer) return;
    await keep(
      this.deps.log,
      'inject DTMF',
      this.deps.state.put(partyKey(sessionId, offerer), { offer, answer }),
    );
  }

  /** The session (or only `tag`'s branch) is gone. */
  forget(sessionId: string, tag?: string): void {
    for (const offerer of [...this.offers.partiesOf(sessionId).keys()]) {
      const answer = this.answers.get(sessionId, offerer);
      if (tag !== undefined && offerer !== tag && answer?.toTag !== tag) continue;
      const injected = this.offers.get(sessionId, offerer)?.injectDtmf === true;
      this.offers.delete(sessionId, offerer);
      this.answers.delete(sessionId, offerer);
      if (injected)
        void keep(this.deps.log, 'inject DTMF end', this.deps.state.delete(partyKey(sessionId, offerer)));
    }
    for (const caller of [...this.sinkTargets.partiesOf(sessionId).keys()])
      if (tag === undefined || caller === tag) this.sinkTargets.delete(sessionId, caller);
  }

  /** Takes back the relayed negotiations a previous run turned inject DTMF on for. */
  async recover(presenceOf: PresenceOf): Promise<{ kept: number; dropped: number }> {
    const { live, dropped } = await survivingRecords(
      this.deps.state,
      (r) => r.offer.sessionId,
      presenceOf,
      this.deps.log,
    );
    for (const { offer, answer } of live) {
      this.offers.set(offer.sessionId, offer.fromTag, offer);
      this.answers.set(offer.sessionId, offer.fromTag, answer);
    }
    return { kept: live.length, dropped };
  }
}
