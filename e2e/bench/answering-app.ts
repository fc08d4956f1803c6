// The benchmark's application: a client of the public interfaces only. It learns of calls from the call
// events on NATS (CALL_EVENTS, `calls.<callId>.<event>`, as the README tells applications to) and drives
// each one over the public CallControl gRPC API as a simple announcement would:
//   inbound:  LegInitiated -> AnswerLeg; LegAnswered -> PlayMedia (1 s file) or Say (a sentence);
//             PlaybackFinished -> Hangup
//   transfer: LegInitiated -> AnswerLeg; LegAnswered -> TransferLeg (BRIDGE) to a sipp UAS;
//             TransferCompleted (or TransferFailed) -> Hangup
//   outbound: CreateCall (dial); LegAnswered -> Hangup
// It keeps counts per phase, and every RPC failure in words, so that a failed step says what went wrong.
import { CALL_EVENTS_SUBJECTS, eventSubjectToken, type NatsConnection } from '@callctl/bus';
import { RELAY_HEADERS } from '@callctl/eventstore';
import type { CallControlClient } from '@callctl/client';
import { type callControl, callEvents } from '@callctl/proto';
import { epochMs } from './sipp-timings.js';

const { LegDirection, EndCause } = callEvents;

/** Milestones of one inbound leg's answer, ms since the epoch, for the post-dial delay's breakdown. */
export interface AnswerMilestones {
  /** When the app got LegInitiated from NATS and sent AnswerLeg. */
  seenAt: number;
  /** When the orchestrator's append of LegInitiated began (its recorded time, from the relay's header). */
  recordedAt: number;
  /** When AnswerLeg returned. */
  answeredAt?: number;
}

export interface Tally {
  /** Inbound legs by SIP Call-ID. */
  answers: Map<string, AnswerMilestones>;
  answered: number;
  played: number;
  hungUp: number;
  callsEnded: number;
  /** CallEnded causes other than a local hangup, by name. */
  otherEndings: Map<string, number>;
  /** RPC failures, in words (the first ones; `rpcFailures` counts all). */
  errors: string[];
  rpcFailures: number;
  /** Say sent -> PlaybackStarted seen on NATS, ms, per call (the Say variant). */
  sayToStarted: number[];
  /** The record variant: StartRecording answered, final RecordingSaved and RecordingFailed seen. */
  recordingsStarted: number;
  recordingsSaved: number;
  recordingsFailed: number;
  /** The transfer variant: TransferLeg answered, TransferCompleted and TransferFailed seen. */
  transfersRequested: number;
  transfersCompleted: number;
  transfersFailed: number;
}

/** What each inbound call hears: a file by URL, or a sentence spoken by the tts service. */
export type Announcement =
  | { kind: 'url'; url: string }
  | { kind: 'say'; text: (n: number) => string }
  /** No announcement: each answered caller is blind-transferred (BRIDGE mode) to `target`. */
  | { kind: 'transfer'; target: string };

const newTally = (): Tally => ({
  answers: new Map(),
  answered: 0,
  played: 0,
  hungUp: 0,
  callsEnded: 0,
  otherEndings: new Map(),
  errors: [],
  rpcFailures: 0,
  sayToStarted: [],
  recordingsStarted: 0,
  recordingsSaved: 0,
  recordingsFailed: 0,
  transfersRequested: 0,
  transfersCompleted: 0,
  transfersFailed: 0,
});

const KEEP_ERRORS = 5;

/** The events the app acts on, by subject token: `leg_initiated` -> its decoder and oneof case. */
const HANDLED = {
  LegInitiated: callEvents.LegInitiated,
  LegAnswered: callEvents.LegAnswered,
  PlaybackStarted: callEvents.PlaybackStarted,
  PlaybackFinished: callEvents.PlaybackFinished,
  LegEnded: callEvents.LegEnded,
  CallEnded: callEvents.CallEnded,
  RecordingSaved: callEvents.RecordingSaved,
  RecordingFailed: callEvents.RecordingFailed,
  TransferCompleted: callEvents.TransferCompleted,
  TransferFailed: callEvents.TransferFailed,
} as const;
type CallEvent = NonNullable<callControl.WatchEventsResponse['event']>;
const DECODERS = new Map(
  Object.entries(HANDLED).map(([type, codec]) => [
    eventSubjectToken(type),
    (data: Uint8Array) =>
      ({
        $case: type.charAt(0).toLowerCase() + type.slice(1),
        [type.charAt(0).toLowerCase() + type.slice(1)]: codec.decode(data),
      }) as CallEvent,
  ]),
);

export class AnsweringApp {
  tally: Tally = newTally();
  private readonly directions = new Map<string, callEvents.LegDirection>();
  /** Calls that came in (their outbound legs are transfer targets, not calls the app dialled). */
  private readonly inboundCalls = new Set<string>();
  private subscription?: ReturnType<NatsConnection['subscribe']>;
  /** Calls spoken to so far (numbers each Say's sentence). */
  private says = 0;
  /** When each call's Say was sent, until its PlaybackStarted is seen. */
  private readonly saySentAt = new Map<string, number>();
  /** Whether each answered inbound call is recorded (dual) before its announcement. */
  private recordCalls = false;

  constructor(
    private readonly api: CallControlClient,
    private readonly nc: NatsConnection,
    private announcement: Announcement,
  ) {}

  /** What the next calls hear. */
  announce(announcement: Announcement): void {
    this.announcement = announcement;
  }

  /** Whether the next calls are recorded: StartRecording (dual) as each is answered, then the announcement. */
  record(on: boolean): void {
    this.recordCalls = on;
  }

  /** Subscribes to every call's events (a plain subscription sees what the relay publishes, live). */
  async start(): Promise<void> {
    this.subscription = this.nc.subscribe(CALL_EVENTS_SUBJECTS, {
      callback: (error, msg) => {
        if (error) return this.fail('calls.> subscription', '', error);
        const decode = DECODERS.get(msg.subject.slice(msg.subject.lastIndexOf('.') + 1));
        if (!decode) return;
        try {
          this.onEvent(decode(msg.data), Date.parse(msg.headers?.get(RELAY_HEADERS.recordedAt) ?? ''));
        } catch (decodeError) {
          this.fail(`decoding ${msg.subject}`, '', decodeError);
        }
      },
    });
    await this.nc.flush();
  }

  /** Starts a new tally (one per benchmark step) and returns the previous one. */
  resetTally(): Tally {
    const previous = this.tally;
    this.tally = newTally();
    return previous;
  }

  /** CreateCall to a SIP URI; resolves when the RPC returns (the INVITE goes out asynchronously). */
  async dial(toUri: string, key: string): Promise<void> {
    await this.rpc('CreateCall', '', this.api.createCall, {
      toUri,
      fromUri: 'sip:bench@127.0.0.1',
      ringTimeoutMs: 10_000,
      maxDurationMs: 0,
      clientState: '',
      idempotencyKey: key,
    });
  }

  stop(): void {
    this.subscription?.unsubscribe();
  }

  private onEvent(event: CallEvent, recordedAt: number): void {
    switch (event.$case) {
      case 'legInitiated': {
        const { callId, legId, direction } = event.legInitiated;
        this.directions.set(legId, direction);
        if (direction === LegDirection.LEG_DIRECTION_INBOUND) {
          this.inboundCalls.add(callId);
          const milestones: AnswerMilestones = { seenAt: epochMs(), recordedAt };
          this.tally.answers.set(event.legInitiated.sipCallId, milestones);
          void this.rpc('AnswerLeg', callId, this.api.answerLeg, { callId, legId, clientState: '' }).then(
            () => (milestones.answeredAt = epochMs()),
          );
        }
        break;
      }
      case 'legAnswered': {
        const { callId, legId } = event.legAnswered;
        this.tally.answered++;
        if (this.directions.get(legId) === LegDirection.LEG_DIRECTION_INBOUND) {
          void this.startRecording(callId, legId)
            .then((recorded) => recorded && this.announceTo(callId, legId))
            .then((ok) => ok && this.tally.played++);
        } else if (!this.inboundCalls.has(callId)) {
          void this.hangup(callId);
        }
        break;
      }
      case 'transferCompleted':
        this.tally.transfersCompleted++;
        void this.hangup(event.transferCompleted.callId);
        break;
      case 'transferFailed':
        this.tally.transfersFailed++;
        void this.hangup(event.transferFailed.callId);
        break;
      case 'playbackStarted': {
        const sentAt = this.saySentAt.get(event.playbackStarted.callId);
        if (sentAt !== undefined) {
          this.tally.sayToStarted.push(epochMs() - sentAt);
          this.saySentAt.delete(event.playbackStarted.callId);
        }
        break;
      }
      case 'recordingSaved':
        if (event.recordingSaved.final) this.tally.recordingsSaved++;
        break;
      case 'recordingFailed':
        this.tally.recordingsFailed++;
        break;
      case 'playbackFinished':
        void this.hangup(event.playbackFinished.callId);
        break;
      case 'legEnded':
        this.directions.delete(event.legEnded.legId);
        break;
      case 'callEnded': {
        this.inboundCalls.delete(event.callEnded.callId);
        this.tally.callsEnded++;
        const cause = event.callEnded.cause;
        if (cause !== EndCause.END_CAUSE_LOCAL_HANGUP) {
          const name = EndCause[cause] ?? String(cause);
          this.tally.otherEndings.set(name, (this.tally.otherEndings.get(name) ?? 0) + 1);
        }
        break;
      }
      default:
        break;
    }
  }

  /** Resolves true when the call is recorded now, or is not to be recorded. */
  private async startRecording(callId: string, legId: string): Promise<boolean> {
    if (!this.recordCalls) return true;
    const ok = await this.rpc('StartRecording', callId, this.api.startRecording, {
      callId,
      channels: callEvents.RecordingChannels.RECORDING_CHANNELS_DUAL,
      idempotencyKey: `rec-${legId}`,
    });
    if (ok) this.tally.recordingsStarted++;
    return ok;
  }

  private announceTo(callId: string, legId: string): Promise<boolean> {
    const announcement = this.announcement;
    if (announcement.kind === 'transfer')
      return this.rpc('TransferLeg', callId, this.api.transferLeg, {
        callId,
        legId,
        target: announcement.target,
        mode: callEvents.TransferMode.TRANSFER_MODE_BRIDGE,
        timeoutMs: 10_000,
        idempotencyKey: `xfer-${legId}`,
      }).then((ok) => {
        if (ok) this.tally.transfersRequested++;
        return ok;
      });
    if (announcement.kind === 'url')
      return this.rpc('PlayMedia', callId, this.api.playMedia, {
        callId,
        legId,
        media: { $case: 'url', url: announcement.url },
        repeat: 1,
        idempotencyKey: `play-${legId}`,
      });
    this.saySentAt.set(callId, epochMs());
    return this.rpc('Say', callId, this.api.say, {
      callId,
      legId,
      speech: { input: { $case: 'text', text: announcement.text(this.says++) } },
      idempotencyKey: `say-${legId}`,
    });
  }

  private async hangup(callId: string): Promise<void> {
    if (await this.rpc('Hangup', callId, this.api.hangup, { callId, legId: '' })) this.tally.hungUp++;
  }

  /** One unary RPC; a failure is tallied, not thrown. Resolves true when it succeeded. */
  private async rpc<Req, Res>(
    name: string,
    callId: string,
    method: (request: Req) => Promise<Res>,
    request: Req,
  ): Promise<boolean> {
    try {
      await method(request);
      return true;
    } catch (error) {
      this.fail(name, callId, error);
      return false;
    }
  }

  private fail(name: string, callId: string, error: unknown): void {
    this.tally.rpcFailures++;
    if (this.tally.errors.length < KEEP_ERRORS) {
      this.tally.errors.push(`${name}${callId ? ` ${callId}` : ''}: ${(error as Error).message ?? error}`);
    }
  }
}
