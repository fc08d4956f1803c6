import type { Logger } from '@callctl/logging';
import { KeyedQueue } from '@callctl/service';
import { NotFoundError, ValidationError } from '../../domain/errors.js';
import type { LocalEndpoint } from '../../domain/local-answer-sdp.js';
import { mixerAnswerSdp, mixerCodecOf } from '../../domain/mixer-sdp.js';
import { answerWithSink } from '../local-answer.js';
import { PartyMap } from '../party-map.js';
import type {
  AnswerParams,
  LocalPartyRecord,
  MediaRelay,
  MixerRouteRecord,
  NegotiationRecord,
  OfferParams,
  StateTable,
} from '../ports.js';
import { keep, partyKey, survivingRecords, type PresenceOf } from '../worker-state.js';

/** A watch of one mixer's liveness (gRPC health Watch): `onLost` once when it breaks. */
export interface MixerWatch {
  stop(): void;
}
export type WatchMixer = (address: string, onLost: (reason: string) => void) => MixerWatch;

/** A route the worker restored by itself because its mixer died (published as MixerLost). */
export interface LostRoute {
  callId: string;
  sessionId: string;
  tag: string;
  routeId: string;
}

export interface MixerRoutesDeps {
  relay: MediaRelay;
  /** Where the worker's own party of a locally answered session receives (its restore answers with it). */
  sink: LocalEndpoint;
  /** The session's negotiations the worker saw: a relayed pair (dtmf-sending) or a local party (echo). */
  relayedParty(sessionId: string, tag: string): NegotiationRecord | undefined;
  localParty(sessionId: string, tag: string): LocalPartyRecord | undefined;
  /** Turns a party's in-band DTMF detector on again after a re-offer (rtpengine renews its codec handling). */
  renewDtmf(sessionId: string, tag: string): Promise<void>;
  watchMixer: WatchMixer;
  mixerLost(route: LostRoute): void;
  state: StateTable<MixerRouteRecord>;
  log: Logger;
}

export interface RouteRequest {
  sessionId: string;
  tag: string;
  mixerSdp: string;
  mixerAddress: string;
  callId: string;
  routeId: string;
}

function required(value: string, field: string): string {
  if (!value) throw new ValidationError(`${field} is required`);
  return value;
}

/**
 * Parties routed through a mixer without any SIP re-INVITE. rtpengine 10.5 re-associates a party with a new
 * to-tag (`mix-<tag>`) on an offer from the party naming it, the mixer's SDP as the answer; with `port
 * latching` the party keeps its phone-facing ports (without it 10.5 gives it new ones, which the phone would
 * never learn). Forks of the party (subscriptions) go on. This holds for a relayed party (offerer or answerer)
 * and for one the worker answered itself alike. The restore is the party's own pairing again (the relayed
 * pair's offer and answer, or its offer and the sink's answer), then the mixer's monologue is deleted: rtpengine
 * keeps the party subscribed to it, so whatever the mixer still sent would reach the party. A relayed pair's
 * offer and answer pair both directions, so the routed peer is restored with it. Routes are records, so a next
 * run of the worker can still restore them, and each mixer with routes is watched: when it dies, its routes
 * are restored and reported (MixerLost).
 */
export class MixerRoutes {
  readonly name = 'mixer-routes';
  private readonly routes = new PartyMap<MixerRouteRecord>();
  private readonly watches = new Map<string, MixerWatch>();
  /** Per session: route and restore of its parties one after the other (they re-offer the same pair). */
  private readonly queues = new KeyedQueue();

  constructor(private readonly deps: MixerRoutesDeps) {}

  /** Routes the party to the mixer; returns rtpengine's SDP facing the mixer. Idempotent by route id. */
  async route(request: RouteRequest): Promise<string> {
    required(request.sessionId, 'session_id');
    required(request.tag, 'tag');
    required(request.routeId, 'route_id');
    required(request.mixerAddress, 'mixer_address');
    const codec = mixerCodecOf(required(request.mixerSdp, 'mixer_sdp'));
    if ('error' in codec) throw new ValidationError(codec.error, { sessionId: request.sessionId });
    return this.serially(request.sessionId, () => this.routeNow(request, codec.codec));
  }

  /** Gives the party (and its routed peer) the direct path back; no route is fine. */
  async restore(sessionId: string, tag: string): Promise<void> {
    required(sessionId, 'session_id');
    required(tag, 'tag');
    return this.serially(sessionId, async () => {
      const route = this.routes.get(sessionId, tag);
      if (route) await this.restoreNow(route);
    }).then(() => undefined);
  }

  /**
   * The peer a relayed offer from `tag` must name while its pair is routed: without a to-tag rtpengine 10.5
   * takes the party's current peer, the mixer, and the SDP for the real peer would point at the mixer's port.
   */
  peerWhileRouted(sessionId: string, tag: string): string | undefined {
    for (const route of this.routes.partiesOf(sessionId).values()) {
      if (!('relayed' in route.direct)) continue;
      const { offer, answer } = route.direct.relayed;
      if (offer.fromTag === tag) return answer.toTag;
      if (answer.toTag === tag) return offer.fromTag;
    }
    return undefined;
  }

  /**
   * The relayed pair of `tags` was negotiated again (a re-INVITE went through Offer and Answer), which pairs
   * its parties with each other in rtpengine: their routes are made again over the new SDPs.
   */
  async renegotiated(sessionId: string, tags: readonly string[]): Promise<void> {
    const routed = [...this.routes.partiesOf(sessionId).values()].filter(
      (route) => tags.includes(route.tag) && 'relayed' in route.direct,
    );
    if (routed.length === 0) return;
    await this.serially(sessionId, async () => {
      for (const route of routed) {
        const codec = mixerCodecOf(route.mixerSdp);
        if ('error' in codec || this.routes.get(sessionId, route.tag) !== route) continue;
        await this.routeNow(route, codec.codec, true);
      }
    });
  }

  private async routeNow(request: RouteRequest, codec: string, again = false): Promise<string> {
    const { sessionId, tag } = request;
    const current = this.routes.get(sessionId, tag);
    if (!again && current?.routeId === request.routeId && current.mixerSdp === request.mixerSdp)
      return current.sdp;
    // Made again after a re-negotiation: over the pair's new offer and answer.
    const renewed = again ? this.deps.relayedParty(sessionId, tag) : undefined;
    const direct = (renewed && { relayed: renewed }) ?? current?.direct ?? this.directOf(sessionId, tag);
    const mixerTag = `mix-${tag}`;
    const { offer, answer } = routeNegotiation(direct, tag, mixerTag, request.mixerSdp, codec);
    let sdp: string;
    try {
      sdp = await this.deps.relay.offer(offer);
      await this.deps.relay.answer({ ...answer, sdp: mixerAnswerSdp(answer.sdp, sdp) });
    } catch (error) {
      // Half a route (an offer to the mixer the mixer never answered) must not leave the party silent.
      await this.giveBack({ tag, direct })
        .then(() => this.deps.relay.deleteParty(sessionId, mixerTag))
        .catch((restoreError: unknown) =>
          this.deps.log.warn({ err: restoreError, sessionId, tag }, 'direct path not given back'),
        );
      throw error;
    }
    await this.deps.renewDtmf(sessionId, tag);
    const record: MixerRouteRecord = { ...request, sdp, mixerTag, direct };
    this.routes.set(sessionId, tag, record);
    this.watch(record.mixerAddress);
    // Routed to another mixer than before: the one left may have no route any more.
    if (current && current.mixerAddress !== record.mixerAddress) this.unwatchIfUnused(current.mixerAddress);
    await keep(this.deps.log, 'mixer route', this.deps.state.put(partyKey(sessionId, tag), record));
    this.deps.log.info({ sessionId, tag, routeId: request.routeId, mixerTag }, 'party routed to the mixer');
    return sdp;
  }

  private directOf(sessionId: string, tag: string): MixerRouteRecord['direct'] {
    const local = this.deps.localParty(sessionId, tag);
    if (local) return { local };
    const relayed = this.deps.relayedParty(sessionId, tag);
    if (relayed) return { relayed };
    throw new NotFoundError(`no offer and answer of ${tag} known in session ${sessionId}`, {
      sessionId,
      tag,
    });
  }

  /**
   * The route's pair negotiated again as before; a relayed pair's other routed party goes with it. Returns
   * the routes restored.
   */
  private async restoreNow(route: MixerRouteRecord): Promise<MixerRouteRecord[]> {
    const restored = [route];
    if ('relayed' in route.direct) {
      const { offer, answer } = route.direct.relayed;
      const peer = offer.fromTag === route.tag ? answer.toTag : offer.fromTag;
      const peerRoute = this.routes.get(route.sessionId, peer);
      if (peerRoute) restored.push(peerRoute);
    }
    await this.giveBack(route);
    for (const r of restored) {
      // The mixer's monologue would otherwise still send to the party (rtpengine keeps that subscription).
      await this.deps.relay.deleteParty(r.sessionId, r.mixerTag).catch((error: unknown) => {
        if (!(error instanceof NotFoundError)) throw error;
      });
      await this.deps.renewDtmf(r.sessionId, r.tag);
      this.drop(r);
      this.deps.log.info({ sessionId: r.sessionId, tag: r.tag, routeId: r.routeId }, 'direct path restored');
    }
    return restored;
  }

  /** Negotiates the party's direct pairing again (its peer, or the worker's sink), keeping its ports. */
  private async giveBack(route: Pick<MixerRouteRecord, 'direct' | 'tag'>): Promise<void> {
    if ('local' in route.direct) {
      const { offer: original, localTag } = route.direct.local;
      const offer: OfferParams = { ...original, toTag: localTag, portLatching: true };
      const offered = await this.deps.relay.offer(offer);
      await answerWithSink(this.deps.relay, this.deps.sink, offer, localTag, offered);
      return;
    }
    const { offer, answer } = route.direct.relayed;
    await this.deps.relay.offer({ ...offer, toTag: answer.toTag, portLatching: true });
    await this.deps.relay.answer({ ...answer, portLatching: true });
  }

  private drop(route: MixerRouteRecord): void {
    if (this.routes.get(route.sessionId, route.tag) !== route) return;
    this.routes.delete(route.sessionId, route.tag);
    void keep(this.deps.log, 'mixer route end', this.deps.state.delete(partyKey(route.sessionId, route.tag)));
    this.unwatchIfUnused(route.mixerAddress);
  }

  private watch(address: string): void {
    if (this.watches.has(address)) return;
    this.watches.set(
      address,
      this.deps.watchMixer(address, (reason) => void this.lost(address, reason)),
    );
  }

  private unwatchIfUnused(address: string): void {
    if (this.routesTo(address).length > 0) return;
    this.watches.get(address)?.stop();
    this.watches.delete(address);
  }

  private routesTo(address: string): MixerRouteRecord[] {
    return [...this.routes.values()].filter((r) => r.mixerAddress === address);
  }

  /** The mixer died: every route to it is restored (sessions in parallel), then reported. */
  private async lost(address: string, reason: string): Promise<void> {
    this.watches.delete(address);
    const routes = this.routesTo(address);
    this.deps.log.warn({ mixer: address, reason, routes: routes.length }, 'mixer lost: restoring its routes');
    await Promise.all(
      routes.map((route) =>
        this.serially(route.sessionId, async () => {
          // Restored meanwhile (with its peer, or by a request): nothing to do, nothing to report.
          if (this.routes.get(route.sessionId, route.tag) !== route) return;
          for (const { callId, sessionId, tag, routeId } of await this.restoreNow(route))
            this.deps.mixerLost({ callId, sessionId, tag, routeId });
        }).catch((error: unknown) =>
          this.deps.log.error(
            { err: error, sessionId: route.sessionId, tag: route.tag },
            'route not restored',
          ),
        ),
      ),
    );
    // A route to it made while it was being restored watches it again.
    if (this.routesTo(address).length > 0) this.watch(address);
  }

  /** The session (or only `tag`'s branch) is gone: its routes with it. */
  forget(sessionId: string, tag?: string): void {
    for (const route of [...this.routes.partiesOf(sessionId).values()])
      if (tag === undefined || route.tag === tag) this.drop(route);
  }

  /** Takes back the routes a previous run made in sessions the relay still has, and watches their mixers. */
  async recover(presenceOf: PresenceOf): Promise<{ kept: number; dropped: number }> {
    const { live, dropped } = await survivingRecords(
      this.deps.state,
      (r) => r.sessionId,
      presenceOf,
      this.deps.log,
    );
    for (const record of live) this.routes.set(record.sessionId, record.tag, record);
    for (const record of live) this.watch(record.mixerAddress);
    return { kept: live.length, dropped };
  }

  /** Stops watching the mixers (the worker stops; the routes stay in rtpengine and in the records). */
  close(): void {
    for (const watch of this.watches.values()) watch.stop();
    this.watches.clear();
  }

  private serially<T>(sessionId: string, work: () => Promise<T>): Promise<T> {
    return this.queues.run(sessionId, work);
  }
}

/**
 * The offer and answer that pair `tag` with the mixer instead of its peer (or the worker's sink): the
 * party's own last SDP offered to `mixerTag`, the mixer's SDP as the answer. The mixer's codec may not be
 * the party's, so rtpengine may transcode to it. Flags the pair had (inject DTMF) stay on.
 */
function routeNegotiation(
  direct: MixerRouteRecord['direct'],
  tag: string,
  mixerTag: string,
  mixerSdp: string,
  codec: string,
): { offer: OfferParams; answer: AnswerParams } {
  // The party's own SDP: its offer, or its answer when it answered its peer.
  const own: { sessionId: string; sdp: string; injectDtmf?: boolean } =
    'local' in direct
      ? direct.local.offer
      : direct.relayed.offer.fromTag === tag
        ? direct.relayed.offer
        : direct.relayed.answer;
  const { sessionId, sdp } = own;
  const flags = { portLatching: true, ...(own.injectDtmf ? { injectDtmf: true } : {}) };
  const offer: OfferParams = {
    sessionId,
    fromTag: tag,
    toTag: mixerTag,
    sdp,
    codecs: { mask: [], transcode: [codec] },
    ...flags,
  };
  return { offer, answer: { sessionId, fromTag: tag, toTag: mixerTag, sdp: mixerSdp, ...flags } };
}
