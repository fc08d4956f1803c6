// Media streams on the wire, through the stream gateway (README "Streams"):
// - StartStream: OpenStream before the append (the participants and context the decision was made on, the
//   authorization, which is never recorded); a refusal (INVALID_ARGUMENT for a URL the gateway refuses,
//   UNAVAILABLE) records nothing. OpenStream is idempotent on the stream id: a retry opens nothing twice.
// - PauseStream and ResumeStream: the gateway's first, then the event.
// - StopStream, and a stream ended with its leg or call: CloseStream after the decision (StopStream records
//   nothing itself), and the gateway's StreamClosed fact records StreamStopped with the counters. A gateway
//   that no longer holds the stream (NOT_FOUND), or that cannot be reached after a few tries, lost it:
//   StreamStopped(GATEWAY_LOST) is recorded directly, so that no stream stays open in the log.
// - After the append of any decision that changes a running stream's participants or context (roster.ts
//   rosterUpdate): UpdateStream with the new participants and the reason; after a digit on a streamed leg:
//   SendStreamDtmf. Both in the background, one call's in order (never holding the call's lock on a slow
//   gateway); a failure is logged (the events are facts; the gateway also learns a gone party from its fork).
// - A bidirectional stream's bot in the mixer room is monitor-media.ts's (monitors.effects.ts drives it).
import type { Logger } from '@callctl/logging';
import { callEvents } from '@callctl/proto';
import { KeyedQueue } from '@callctl/service';
import type { Decision } from '../../domain/call.guards.js';
import { foldEvents, type CallState } from '../../domain/call.state.js';
import {
  rosterUpdate,
  streamContext,
  streamParticipants,
  streamsEndedBy,
  streamsOfLeg,
  type StreamParticipant,
} from '../../domain/capabilities/streams/roster.js';
import { isPeerError, PEER_ERROR_CODES, PeerError } from '../errors.js';
import type { StreamGatewayPort } from '../ports.js';
import type { CapabilityEffects, EffectPorts, EventsEffect } from './effects.js';
import { STOP_RETRY_PAUSES_MS } from './media.effects.js';

const { StreamStopReason } = callEvents;

/** Records that no gateway holds a stream any more (RecordStreamClosed with GATEWAY_LOST). */
export type RecordStreamLost = (callId: string, streamId: string, detail: string) => Promise<void>;

const toGateway = (p: StreamParticipant) => ({ ...p, media: { ...p.media } });

/** The stream gateway and the work that follows the call's streams outside the command that decided it. */
export class StreamWire {
  private readonly queue = new KeyedQueue();

  constructor(
    readonly gateway: StreamGatewayPort,
    private readonly recordLost: RecordStreamLost,
    private readonly log?: Logger,
    private readonly pausesMs: readonly number[] = STOP_RETRY_PAUSES_MS,
  ) {}

  /** Runs `task` after the call's earlier ones, in the background; a failure is logged. */
  later(callId: string, what: string, task: () => Promise<void>): void {
    void this.queue
      .run(callId, task)
      .catch((error: unknown) => this.log?.warn({ callId, err: error }, `stream gateway: ${what} failed`));
  }

  /** Resolves once every background task asked for so far has settled (tests, shutdown). */
  idle(): Promise<void> {
    return this.queue.idle();
  }

  /**
   * CloseStream; the gateway's StreamClosed fact records StreamStopped. A stream no gateway holds, or a
   * gateway that stays unreachable, is recorded as lost.
   */
  async close(callId: string, streamId: string, reason: callEvents.StreamStopReason): Promise<void> {
    let lost: string;
    for (let attempt = 0; ; attempt++) {
      try {
        return await this.gateway.closeStream(streamId, reason);
      } catch (error) {
        const pause = this.pausesMs[attempt];
        if (isPeerError(error, PEER_ERROR_CODES.notFound) || pause === undefined) {
          lost = error instanceof Error ? error.message : String(error);
          break;
        }
        await new Promise((resolve) => setTimeout(resolve, pause));
      }
    }
    this.log?.warn(
      { callId, streamId, detail: lost },
      'no stream gateway holds the stream: recorded as lost',
    );
    await this.recordLost(callId, streamId, lost);
  }

  /** Streams no gateway held at the last periodic check: lost if none holds them at the next either. */
  private suspects = new Set<string>();

  /**
   * Streams the log says run that no gateway holds were lost with their gateway (it keeps its streams in
   * memory only; one that cannot be asked holds nothing either): recorded StreamStopped(GATEWAY_LOST).
   * `atStart` (after a restart): at once, and a leg stream whose leg ended meanwhile is closed. Later (a
   * gateway killed while this process runs): only a stream found unheld at two checks in a row, so that a
   * stream the gateway just closed has its StreamClosed fact, with its counters, recorded first.
   */
  async recover(callId: string, state: CallState, atStart = true): Promise<number> {
    if (state.status !== 'active') return 0;
    let lost = 0;
    for (const st of Object.values(state.streams)) {
      if (st.status === 'stopped' || st.status === 'failed') continue;
      if (st.legId && state.legs[st.legId]?.status === 'ended') {
        if (atStart) await this.close(callId, st.streamId, StreamStopReason.STREAM_STOP_REASON_CALL_ENDED);
        continue;
      }
      let detail: string;
      try {
        if (await this.gateway.holdsStream(st.streamId)) continue;
        detail = 'no stream gateway holds the stream';
      } catch (error) {
        detail = `the stream gateway cannot be asked: ${error instanceof Error ? error.message : String(error)}`;
      }
      if (!atStart && !this.suspects.has(st.streamId)) {
        this.unheld.add(st.streamId);
        continue;
      }
      await this.recordLost(callId, st.streamId, detail);
      lost++;
    }
    return lost;
  }

  /** Streams found unheld in the check under way (see `endCheck`). */
  private unheld = new Set<string>();

  /** Ends a check of every active call: the unheld streams become the suspects of the next. */
  endCheck(): void {
    this.suspects = this.unheld;
    this.unheld = new Set();
  }
}

/** A process without a stream gateway: stream requests fail as UNAVAILABLE. */
function gatewayOf(ports: EffectPorts): StreamGatewayPort {
  if (!ports.streams)
    throw new PeerError('stream-gateway', PEER_ERROR_CODES.unavailable, 'no stream gateway configured');
  return ports.streams.gateway;
}

async function openStream(
  ports: EffectPorts,
  callId: string,
  decision: Decision,
  state: CallState,
  authorization: string,
) {
  const requested = decision.events.find((e) => e.type === 'StreamRequested');
  if (requested?.type !== 'StreamRequested') return; // a replay: nothing new
  const d = requested.data;
  await gatewayOf(ports).openStream({
    streamId: d.streamId,
    callId,
    url: d.url,
    authorization,
    tracks: d.tracks,
    encoding: d.encoding,
    sampleRate: d.sampleRate,
    bidirectional: d.bidirectional,
    customParameters: { ...d.customParameters },
    participants: streamParticipants(state, { legId: d.legId }).map(toGateway),
    context: streamContext(state, { clientState: d.clientState }),
  });
}

/** What follows the decided events of any command: closes, roster updates, digits (see the file comment). */
export const streamsAfterEvents: EventsEffect = async (ports, callId, command, decision, state) => {
  const wire = ports.streams;
  // Closes, roster updates and digits all concern streams the call had before this decision (a stream
  // it starts is opened by StartStream itself): a call without one, most calls, has nothing to fold.
  if (!wire || state.status === 'none' || Object.keys(state.streams).length === 0) return;
  const after = foldEvents(decision.events, state);
  const ending = streamsEndedBy(state, decision.events);
  for (const st of ending)
    wire.later(callId, 'CloseStream', () =>
      wire.close(callId, st.streamId, StreamStopReason.STREAM_STOP_REASON_CALL_ENDED),
    );
  if (after.status === 'none') return;
  for (const st of Object.values(after.streams)) {
    if (!state.streams[st.streamId] || ending.some((e) => e.streamId === st.streamId)) continue;
    const update = rosterUpdate(state, after, decision.events, st);
    if (update)
      wire.later(callId, 'UpdateStream', () =>
        wire.gateway.updateStream({
          streamId: st.streamId,
          participants: update.participants.map(toGateway),
          reason: update.reason,
          context: streamContext(after, st),
        }),
      );
  }
  const durationMs = command.type === 'RecordDtmf' ? (command.data.durationMs ?? 0) : 0;
  for (const e of decision.events)
    if (e.type === 'DtmfReceived')
      for (const st of streamsOfLeg(state, e.data.legId))
        wire.later(callId, 'SendStreamDtmf', () =>
          wire.gateway.sendStreamDtmf({
            streamId: st.streamId,
            legId: e.data.legId,
            digit: e.data.digit,
            durationMs,
          }),
        );
};

export const streamsEffects: CapabilityEffects = {
  name: 'streams',
  effects: {
    StartStream: {
      before: (ports, callId, command, decision, state) =>
        openStream(ports, callId, decision, state, command.data.authorization),
    },
    PauseStream: { before: (ports, _callId, command) => gatewayOf(ports).pauseStream(command.data.streamId) },
    ResumeStream: {
      before: (ports, _callId, command) => gatewayOf(ports).resumeStream(command.data.streamId),
    },
  },
  afterEvents: streamsAfterEvents,
};
