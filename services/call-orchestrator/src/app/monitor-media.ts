// The media of a call with members in a mixer room (monitors' supervisors, three-way participants): the
// room, the forks of its parties into it, the routes of the members (and, while some member whispers or
// barges, of the parties) through it, and who hears whom (domain hearing.ts). Nothing of it is in the log:
// the log holds the monitors and participants and their modes, and this brings the media to what they ask
// (`drive`), step by idempotent step, after each decision that changes them and again for every call with
// a room after a restart (`recover`) or now and then (a step that failed). What this process
// did is remembered so that a step runs once; after a restart every step runs once more, which the mixer
// and the media-worker answer as before (AddParticipant, RouteToMixer and StartFork are idempotent).
//
// Order (contract of issue 15): CreateRoom; for each answered party AddParticipant fork-<leg> (recvonly)
// and StartFork into it; for each member (started monitor, added participant) AddParticipant sup-<monitor>
// or par-<participant> (sendrecv), RouteToMixer of its leg's party with its SDP, ConnectParticipant with
// rtpengine's; parties no longer to be routed:
// RestoreRoute, RemoveParticipant in-<leg>; parties to be routed (whisper, barge): AddParticipant
// in-<leg>, RouteToMixer, ConnectParticipant; then SetHearing. Once no member is left: RestoreRoute of the
// routed parties, StopFork, RemoveParticipant of every participant, DeleteRoom.
//
// A running bidirectional stream (issue 18) is a member too, with no leg: AddParticipant bot-<stream>
// (PCMU, recvonly: the mixer only receives what the stream gateway plays), then the gateway's
// ConnectStreamOutput to that participant's RTP host and port; while a bot is in the room every party is
// routed through the mixer, as for a whisper. The parties' forks feed the members who listen: a room with
// bots only has none.
import type { Logger } from '@callctl/logging';
import type { CallState, Leg } from '../domain/call.state.js';
import { isParty } from '../domain/capabilities/legs/roles.js';
import {
  botParticipant,
  botsOf,
  forkParticipant,
  hearingOf,
  inParticipant,
  membersOf,
  parParticipant,
  supParticipant,
} from '../domain/capabilities/monitors/hearing.js';
import type { MediaParty, MediaPort, MixerPort, StreamGatewayPort } from './ports.js';

export interface MonitorMediaPorts {
  readonly media: MediaPort;
  readonly mixer: MixerPort;
  /** Where a bot's participant is told to the stream gateway (absent: a process without one). */
  readonly streams?: Pick<StreamGatewayPort, 'connectStreamOutput'>;
  readonly log?: Logger;
}

/** Pauses between attempts of a drive that failed; then it is left to the next drive (resync). */
// A supervisor leg's answer may be reported before the media-worker has its SDP (RouteToMixer is then
// NOT_FOUND for a moment): a few seconds of tries cover that.
export const DRIVE_RETRY_PAUSES_MS: readonly number[] = [200, 500, 1000, 2000];

/** The fork of a party into its fork participant (the fork's tag in the party's media session). */
export const monitorForkId = (legId: string) => `mon-fork-${legId}`;

/** What this process did for one call's room. */
type Applied = {
  room?: string;
  /** Party leg -> where its fork was started from. */
  readonly forks: Map<string, MediaParty>;
  /** Routed participant (sup-*, in-*) -> the party routed. */
  readonly routes: Map<string, MediaParty>;
  /** Bot participant (bot-*) -> its stream, whose output was connected to it. */
  readonly bots: Map<string, string>;
  hearing?: string;
};

const sameParty = (x: MediaParty, y: MediaParty) => x.sessionId === y.sessionId && x.tag === y.tag;
const answeredParties = (state: CallState): Leg[] =>
  state.status === 'active'
    ? Object.values(state.legs).filter((l) => isParty(l) && l.status === 'answered')
    : [];

/** What a room set up for `state`'s members may hold: every party's fork and route, every member's. */
function everythingOf(state: CallState): Applied | undefined {
  if (state.status === 'none') return undefined;
  const parties = Object.values(state.legs).filter(isParty);
  // A member that never answered set nothing up (a busy supervisor or participant leaves the call alone).
  const members = [
    ...Object.values(state.monitors)
      .filter((m) => m.wasStarted)
      .map((m) => [supParticipant(m.monitorId), m.supervisorLegId] as const),
    ...Object.values(state.participants)
      .filter((p) => p.wasAdded)
      .map((p) => [parParticipant(p.participantId), p.legId] as const),
  ];
  const bots = Object.values(state.streams)
    .filter((st) => st.bidirectional)
    .map((st): [string, string] => [botParticipant(st.streamId), st.streamId]);
  if (members.length === 0 && bots.length === 0) return undefined;
  const routes = new Map<string, MediaParty>([
    ...parties.map((p): [string, MediaParty] => [inParticipant(p.legId), p.media]),
    ...members.flatMap(([participantId, legId]): Array<[string, MediaParty]> => {
      const leg = state.legs[legId];
      return leg ? [[participantId, leg.media]] : [];
    }),
  ]);
  // Forks feed members only: a room with bots alone had none.
  const forks = members.length > 0 ? parties.map((p): [string, MediaParty] => [p.legId, p.media]) : [];
  return { forks: new Map(forks), routes, bots: new Map(bots) };
}

export class MonitorMedia {
  private readonly applied = new Map<string, Applied>();
  private readonly queues = new Map<string, Promise<void>>();

  constructor(
    private readonly ports: MonitorMediaPorts,
    private readonly pausesMs: readonly number[] = DRIVE_RETRY_PAUSES_MS,
  ) {}

  /**
   * Brings the call's media to what `state` asks. `ending`: a member (monitor, participant) just left, so the
   * room is torn down (once no member is left) even when this process did not set it up, from what the state says it held. Drives of one call run one after the other (each on the
   * state its decision left); it never rejects: a failure is retried, then logged and left to the next drive.
   */
  drive(callId: string, state: CallState, ending = false): Promise<void> {
    const previous = this.queues.get(callId) ?? Promise.resolve();
    const next = previous.then(() => this.withRetries(callId, state, ending));
    this.queues.set(callId, next);
    void next.finally(() => {
      if (this.queues.get(callId) === next) this.queues.delete(callId);
    });
    return next;
  }

  /** Whether `state` has something for this to do: a member in the room, or a room this process set up. */
  concerns(callId: string, state: CallState): boolean {
    return membersOf(state).length > 0 || botsOf(state).length > 0 || this.applied.has(callId);
  }

  /** Whether this process set up (part of) the call's room. */
  drives(callId: string): boolean {
    return this.applied.has(callId);
  }

  private async withRetries(callId: string, state: CallState, ending: boolean): Promise<void> {
    for (let attempt = 0; ; attempt++) {
      try {
        return await this.converge(callId, state, ending);
      } catch (error) {
        const pause = this.pausesMs[attempt];
        if (pause === undefined) {
          this.ports.log?.warn(
            { callId, attempts: attempt + 1, err: error },
            "could not bring the call's mixer room up to date; the next drive tries again",
          );
          return;
        }
        // Unref'd: a drive still waiting to retry never keeps a closing process up.
        await new Promise((resolve) => setTimeout(resolve, pause).unref());
      }
    }
  }

  private async converge(callId: string, state: CallState, ending: boolean): Promise<void> {
    const members = membersOf(state);
    const bots = botsOf(state);
    if (members.length === 0 && bots.length === 0) return this.teardown(callId, state, ending);
    const { media, mixer } = this.ports;
    const a: Applied = this.applied.get(callId) ?? { forks: new Map(), routes: new Map(), bots: new Map() };
    this.applied.set(callId, a);
    if (!a.room) {
      const address = await mixer.addressOf(callId);
      await mixer.createRoom(callId);
      a.room = address;
    }
    const mixerAddress = a.room;
    /** `sdp`: the participant's, when it was added already. */
    const route = async (participantId: string, party: MediaParty, added?: string) => {
      if (a.routes.has(participantId)) return;
      const sdp = added ?? (await mixer.addParticipant(callId, participantId, 'sendrecv')).sdp;
      const towardsMixer = await media.routeToMixer({
        callId,
        party,
        mixerSdp: sdp,
        mixerAddress,
        routeId: participantId,
      });
      await mixer.connectParticipant(callId, participantId, towardsMixer.sdp);
      a.routes.set(participantId, party);
    };

    const parties = answeredParties(state);
    // Only members listen to the forks: a room with bots alone forks nobody.
    const forked = members.length > 0 ? parties : [];
    for (const p of forked) {
      const forked = a.forks.get(p.legId);
      if (forked && sameParty(forked, p.media)) continue;
      // A bridge moved the party's media to another session (LegsBridged): its fork follows it there.
      if (forked) await media.stopFork(forked, monitorForkId(p.legId)).catch(() => undefined);
      await this.fork(callId, p);
    }
    for (const [legId, party] of a.forks)
      if (!forked.some((p) => p.legId === legId)) {
        await media.stopFork(party, monitorForkId(legId));
        await mixer.removeParticipant(callId, forkParticipant(legId));
        a.forks.delete(legId);
      }

    for (const m of members) {
      const leg = state.status === 'active' ? state.legs[m.legId] : undefined;
      if (leg) await route(m.participantId, leg.media);
    }
    const hearing = hearingOf(
      members,
      parties.map((p) => p.legId),
      bots,
    );
    for (const [participantId, party] of a.routes) {
      const stays =
        members.some((m) => m.participantId === participantId) ||
        hearing.routed.some((legId) => inParticipant(legId) === participantId);
      if (stays) continue;
      // A member's leg is hung up as it leaves: only a party gets its direct path back.
      if (participantId.startsWith('in-')) await media.restoreRoute({ callId, party });
      await mixer.removeParticipant(callId, participantId);
      a.routes.delete(participantId);
    }
    for (const [participantId] of a.bots)
      if (!bots.some((b) => b.participantId === participantId)) {
        await mixer.removeParticipant(callId, participantId);
        a.bots.delete(participantId);
      }
    for (const bot of bots)
      if (!a.bots.has(bot.participantId)) await this.connectBot(callId, bot.participantId, bot.streamId);
    // Parties to route through the mixer (whisper, barge, a bot): their participants and the rows that mix for them
    // are in place before the first packet arrives, and the parties are moved together, so that neither
    // hears silence or a half-switched call while the other's route is still being made.
    const toRoute = hearing.routed.flatMap((legId) => {
      const party = parties.find((p) => p.legId === legId);
      return party && !a.routes.has(inParticipant(legId)) ? [party] : [];
    });
    const sdps = new Map<string, string>();
    for (const party of toRoute)
      sdps.set(party.legId, (await mixer.addParticipant(callId, inParticipant(party.legId), 'sendrecv')).sdp);
    const rows = JSON.stringify(hearing.rows);
    if (rows !== a.hearing) {
      await mixer.setHearing(callId, hearing.rows);
      a.hearing = rows;
    }
    await Promise.all(
      toRoute.map((party) => route(inParticipant(party.legId), party.media, sdps.get(party.legId))),
    );
  }

  /**
   * The bot's participant (PCMU, recvonly), and the stream gateway told to send the endpoint's audio there
   * (payload type 0: the participant takes PCMU).
   */
  private async connectBot(callId: string, participantId: string, streamId: string): Promise<void> {
    const { mixer, streams, log } = this.ports;
    const sink = await mixer.addParticipant(callId, participantId, 'recvonly', 'PCMU');
    if (streams)
      await streams.connectStreamOutput({
        streamId,
        rtpHost: sink.rtpHost,
        rtpPort: sink.rtpPort,
        payloadType: 0,
      });
    else log?.warn({ callId, streamId }, 'no stream gateway configured: the bot will not be heard');
    this.applied.get(callId)?.bots.set(participantId, streamId);
  }

  /**
   * A fork of the party into its fork participant. A fork comes in the party's own codec when it is PCMU,
   * PCMA or G.722 (PCMU otherwise, transcoded by rtpengine): a PCMA or G.722 one gets a participant in that
   * codec instead (the mixer hears all three; G.722 only recvonly, which a fork is). Asking rtpengine to
   * transcode the fork to PCMU instead proved unreliable for subscriptions in 10.5.
   */
  private async fork(callId: string, p: Leg): Promise<void> {
    const { media, mixer, log } = this.ports;
    const id = forkParticipant(p.legId);
    const start = async (codec: string) => {
      const sink = await mixer.addParticipant(callId, id, 'recvonly', codec);
      return media.startFork({
        callId,
        party: p.media,
        forkId: monitorForkId(p.legId),
        sinkAddress: sink.rtpHost,
        sinkPort: sink.rtpPort,
      });
    };
    const forked = await start('PCMU');
    if (forked.codec === 'PCMA' || forked.codec === 'G722') {
      await mixer.removeParticipant(callId, id);
      await start(forked.codec);
    } else if (forked.codec !== 'PCMU')
      log?.warn(
        { callId, legId: p.legId, codec: forked.codec },
        'the mixer cannot decode this fork: the supervisor will not hear the party',
      );
    this.applied.get(callId)?.forks.set(p.legId, p.media);
  }

  /**
   * No member is left in the room: the parties get their direct path back, and the forks, the participants and
   * the room go. Each step on its own: a mixer that died (MIXER_FAILED) or a call whose media is gone
   * (CALL_ENDED) fails some, which changes nothing of what the others must do.
   */
  private async teardown(callId: string, state: CallState, ending: boolean): Promise<void> {
    // Set up by another instance, or by this process before it restarted: what the state says may be there.
    const a = this.applied.get(callId) ?? (ending ? everythingOf(state) : undefined);
    if (!a) return;
    const { media, mixer, log } = this.ports;
    const step = async (what: string, run: () => Promise<void>) => {
      try {
        await run();
      } catch (error) {
        log?.debug({ callId, err: error }, `monitor teardown: ${what} failed (nothing left to undo?)`);
      }
    };
    for (const [participantId, party] of a.routes)
      if (participantId.startsWith('in-'))
        await step('RestoreRoute', () => media.restoreRoute({ callId, party }));
    for (const [legId, party] of a.forks)
      await step('StopFork', () => media.stopFork(party, monitorForkId(legId)));
    const participants = [...a.routes.keys(), ...[...a.forks.keys()].map(forkParticipant), ...a.bots.keys()];
    for (const id of participants) await step('RemoveParticipant', () => mixer.removeParticipant(callId, id));
    await step('DeleteRoom', () => mixer.deleteRoom(callId));
    this.applied.delete(callId);
  }
}
