import type { Logger } from '@callctl/logging';
import { NotFoundError, ValidationError } from '../../domain/errors.js';
import type { LocalEndpoint } from '../../domain/local-answer-sdp.js';
import { answerWithSink } from '../local-answer.js';
import { PartyMap } from '../party-map.js';
import type { LocalPartyRecord, MediaRelay, OfferParams, StateTable } from '../ports.js';
import { keep, partyKey, survivingRecords, type PresenceOf } from '../worker-state.js';

export interface EchoDeps {
  relay: MediaRelay;
  /** Where the worker's own party of a one-sided session receives media. */
  sink: LocalEndpoint;
  /** Where the locally answered parties are recorded, for the next run of the worker. */
  state: StateTable<LocalPartyRecord>;
  log: Logger;
}

/**
 * Echo of a locally answered party (its own media sent back to it). rtpengine takes `media echo` only in
 * offer/answer, so the party's last offer is sent again with the new setting and the sink answers again;
 * the parties it can do this for (answered by the worker itself) are its state. A session can hold several
 * (an inbound caller and a dialled leg, each answered alone).
 */
export class Echo {
  readonly name = 'echo';
  private readonly parties = new PartyMap<LocalPartyRecord>();

  constructor(private readonly deps: EchoDeps) {}

  /**
   * A party the worker answered itself: echo can be turned on and off for it from now on. The caller's 200 OK
   * waits for the answer and the record only serves echo after a restart, so its write is not waited for.
   */
  adopt(record: LocalPartyRecord): void {
    void this.remember(record);
  }

  /** Turns echo on for party `tag` (empty: the session's only locally answered one). Returns its offer. */
  start(sessionId: string, tag: string): Promise<OfferParams> {
    return this.set(sessionId, tag, true);
  }

  /** Turns echo off for party `tag` (empty: the session's only locally answered one). Returns its offer. */
  stop(sessionId: string, tag: string): Promise<OfferParams> {
    return this.set(sessionId, tag, false);
  }

  private async set(sessionId: string, tag: string, echo: boolean): Promise<OfferParams> {
    const party = this.partyOf(sessionId, tag);
    // Leaving the key out of a re-offer keeps the old echo (seen with 10.5); `forward` replaces it with an
    // echo of the local sink to itself, which sends nothing, so the caller hears nothing back.
    const offer: OfferParams = { ...party.offer, mediaEcho: echo ? 'backwards' : 'forward' };
    const offered = await this.deps.relay.offer(offer);
    await answerWithSink(this.deps.relay, this.deps.sink, offer, party.localTag, offered);
    await this.remember({ ...party, offer });
    this.deps.log.info({ sessionId, tag: offer.fromTag, echo }, 'echo changed');
    return offer;
  }

  /** The party `tag` answered by the worker itself, if it is one. */
  localParty(sessionId: string, tag: string): LocalPartyRecord | undefined {
    return this.parties.get(sessionId, tag);
  }

  /**
   * Sends the locally answered party `tag`'s offer again (with inject DTMF on, kept for its later re-offers,
   * when asked) and the sink's answer; rtpengine keeps its ports. Returns the relay's SDP for the worker's
   * own party (where that party sends).
   */
  async renegotiate(
    sessionId: string,
    tag: string,
    change: { injectDtmf?: true } = {},
  ): Promise<{ localTag: string; offered: string }> {
    const party = this.partyOf(sessionId, tag);
    const offer: OfferParams = { ...party.offer, ...change };
    const offered = await this.deps.relay.offer(offer);
    await answerWithSink(this.deps.relay, this.deps.sink, offer, party.localTag, offered);
    if (change.injectDtmf) await this.remember({ ...party, offer });
    this.deps.log.info({ sessionId, tag, ...change }, 'local party re-negotiated');
    return { localTag: party.localTag, offered };
  }

  /** The session's locally answered parties are gone (or only `tag`'s branch). */
  forget(sessionId: string, tag?: string): void {
    for (const forgotten of tag === undefined ? [...this.parties.partiesOf(sessionId).keys()] : [tag]) {
      if (!this.parties.delete(sessionId, forgotten)) continue;
      void keep(this.deps.log, 'local party end', this.deps.state.delete(partyKey(sessionId, forgotten)));
    }
  }

  /**
   * Takes back the parties a previous run answered, in sessions the relay still has; returns them (their
   * records may carry more of an older shape, e.g. `detectDtmf`).
   */
  async recover(presenceOf: PresenceOf): Promise<{ live: LocalPartyRecord[]; dropped: number }> {
    const recovered = await survivingRecords(
      this.deps.state,
      (r) => r.offer.sessionId,
      presenceOf,
      this.deps.log,
    );
    for (const record of recovered.live)
      this.parties.set(record.offer.sessionId, record.offer.fromTag, record);
    return recovered;
  }

  /** The locally answered party `tag` of the session; with no tag, the session's only one. */
  private partyOf(sessionId: string, tag: string): LocalPartyRecord {
    const parties = this.parties.partiesOf(sessionId);
    if (tag) {
      const party = parties.get(tag);
      if (!party)
        throw new NotFoundError(`no locally answered party ${tag} in session ${sessionId}`, { sessionId });
      return party;
    }
    if (parties.size === 0)
      throw new NotFoundError(`no locally answered session ${sessionId}`, { sessionId });
    if (parties.size > 1)
      throw new ValidationError(
        `session ${sessionId} has ${parties.size} locally answered parties: name one by its tag`,
        { sessionId },
      );
    return parties.values().next().value!;
  }

  private async remember(record: LocalPartyRecord): Promise<void> {
    const { sessionId, fromTag } = record.offer;
    this.parties.set(sessionId, fromTag, record);
    await keep(this.deps.log, 'local party', this.deps.state.put(partyKey(sessionId, fromTag), record));
  }
}
