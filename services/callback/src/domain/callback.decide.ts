// What a callback does next (CONTRACT "What a callback does"): pure. decide() takes the callback's state and
// one trigger (a call event from CALL_EVENTS, a cancel, or the platform's answer to one of our commands) and
// says which callback events to append and which commands to send over CallControl. Every command carries
// an idempotency key of its step, so sending one again (a redelivery, a restart) is safe.
import { callbackEvents, callEvents } from '@callctl/proto';
import {
  evolve,
  isOver,
  stepKey,
  type CallbackEvent,
  type CallbackState,
  type LiveCallFacts,
  type PlayStep,
} from './callback.state.js';
import { answeredCause, isUser2Failure, realDurationS, unansweredCause, type User } from './end-cause.js';

const { CallbackEndCause: Cause } = callbackEvents;

/** The call events a callback reacts to. */
export type CallEventIn =
  | { type: 'LegInitiated'; data: callEvents.LegInitiated }
  | { type: 'LegRinging'; data: callEvents.LegRinging }
  | { type: 'LegAnswered'; data: callEvents.LegAnswered }
  | { type: 'LegEnded'; data: callEvents.LegEnded }
  | { type: 'LegsBridged'; data: callEvents.LegsBridged }
  | { type: 'BridgeEnded'; data: callEvents.BridgeEnded }
  | { type: 'CallEnded'; data: callEvents.CallEnded }
  | { type: 'PlaybackStarted'; data: callEvents.PlaybackStarted }
  | { type: 'PlaybackFinished'; data: callEvents.PlaybackFinished };

export const CALL_EVENT_TYPES: ReadonlySet<string> = new Set<CallEventIn['type']>([
  'LegInitiated',
  'LegRinging',
  'LegAnswered',
  'LegEnded',
  'LegsBridged',
  'BridgeEnded',
  'CallEnded',
  'PlaybackStarted',
  'PlaybackFinished',
]);

/** The platform's answer to a command: ok (with the ids it returned) or refused for good. */
export type CommandOutcome =
  | { ok: true; callId?: string; legId?: string; playbackId?: string }
  | { ok: false; code: string; message: string };

export type Trigger =
  /** `recordedAt`: when the call's log recorded it (the Callctl-Recorded-At header). */
  | { kind: 'call'; event: CallEventIn; recordedAt: Date }
  | { kind: 'cancel'; reason: string }
  | { kind: 'result'; command: CallbackCommand; outcome: CommandOutcome };

export type Announcement = callbackEvents.CallbackAnnouncement;

export type CallbackCommand =
  | {
      type: 'CreateCall';
      key: string;
      toUri: string;
      fromUri: string;
      ringTimeoutMs: number;
      maxDurationMs: number;
      clientState: string;
    }
  | {
      type: 'Dial';
      key: string;
      callId: string;
      bridgeWithLegId: string;
      toUri: string;
      fromUri: string;
      ringTimeoutMs: number;
    }
  | { type: 'Play'; key: string; step: PlayStep; callId: string; legId: string; announcement: Announcement }
  | { type: 'BridgeLegs'; key: string; callId: string; legAId: string; legBId: string }
  | { type: 'Hangup'; callId: string };

export interface Decision {
  events: CallbackEvent[];
  commands: CallbackCommand[];
  /** The live facts after the trigger (unchanged unless the trigger taught something). */
  live: LiveCallFacts;
}

/** The call's client_state that ties its events to the callback. */
export const clientStateOf = (callbackId: string) => `callback:${callbackId}`;

/** The callback a call event's client_state names, if it is one of ours. */
export function callbackIdOfClientState(clientState: string): string | undefined {
  return clientState.startsWith('callback:') ? clientState.slice('callback:'.length) || undefined : undefined;
}

/** Digits are spoken one by one: "1 2 3". */
export const digitsAnnouncement = (digits: string): Announcement => ({
  announcementId: '',
  source: { $case: 'text', text: digits.split('').join(' ') },
});

/** Builds a decision step by step, folding each event so later steps see it. */
class Steps {
  readonly events: CallbackEvent[] = [];
  readonly commands: CallbackCommand[] = [];
  constructor(
    public s: CallbackState,
    public live: LiveCallFacts,
  ) {}
  add(e: CallbackEvent, at: Date): void {
    this.events.push(e);
    this.s = evolve(this.s, e, { version: this.s.version + 1, position: 0, recordedAt: at });
  }
  send(c: CallbackCommand): void {
    this.commands.push(c);
  }
  done(): Decision {
    return { events: this.events, commands: this.commands, live: this.live };
  }
}

export function decide(state: CallbackState, trigger: Trigger, now: Date): Decision {
  const steps = new Steps(state, state.live);
  if (!state.request) return steps.done();
  switch (trigger.kind) {
    case 'cancel':
      cancel(steps, trigger.reason, now);
      break;
    case 'result':
      result(steps, trigger.command, trigger.outcome, now);
      break;
    case 'call':
      callEvent(steps, trigger.event, trigger.recordedAt);
      break;
  }
  return steps.done();
}

function cancel(steps: Steps, reason: string, now: Date): void {
  const s = steps.s;
  if (isOver(s) || s.cancelReason !== undefined) return;
  steps.add({ type: 'CallbackCancelRequested', data: { callbackId: s.callbackId, reason } }, now);
  // Without a call yet, CreateCall's answer hangs it up (see result()).
  if (s.callId) steps.send({ type: 'Hangup', callId: s.callId });
}

function result(steps: Steps, command: CallbackCommand, outcome: CommandOutcome, now: Date): void {
  const s = steps.s;
  switch (command.type) {
    case 'CreateCall':
      if (outcome.ok) {
        if (!s.callId && outcome.callId && !isOver(s))
          user1Called(steps, outcome.callId, outcome.legId ?? '', now);
        if (s.cancelReason !== undefined && steps.s.callId)
          steps.send({ type: 'Hangup', callId: steps.s.callId });
      } else if (!s.callId && !isOver(s)) {
        steps.add(
          {
            type: 'CallbackFailed',
            data: { callbackId: s.callbackId, code: outcome.code, message: outcome.message },
          },
          now,
        );
      }
      return;
    case 'Dial':
      if (outcome.ok) {
        if (!s.user2LegId && outcome.legId && !isOver(s)) user2Called(steps, outcome.legId, now);
      } else if (!isOver(s) && !s.user2LegId) {
        endBeforeBridge(steps, Cause.CALLBACK_END_CAUSE_USER2_UNREACHABLE, 0, now);
      }
      return;
    case 'Play':
      if (outcome.ok && outcome.playbackId)
        steps.live = {
          ...steps.live,
          playbacks: { ...steps.live.playbacks, [outcome.playbackId]: command.step },
        };
      // A prompt the platform would not play is skipped: the callback goes on as if it had finished.
      else if (!outcome.ok) playbackFinished(steps, command.step);
      return;
    case 'BridgeLegs':
      // The platform could not join them (a phone refused the bridge's re-INVITE, a peer is down for good):
      // leaving both to listen to silence until the cap would bill nobody and help nobody, so it is released.
      if (!outcome.ok && !isOver(s) && !s.bridgedAt)
        endBeforeBridge(steps, Cause.CALLBACK_END_CAUSE_PLATFORM_FAILURE, 0, now);
      return;
    case 'Hangup':
      return;
  }
}

function user1Called(steps: Steps, callId: string, legId: string, at: Date): void {
  steps.add({ type: 'CallbackUser1Called', data: { callbackId: steps.s.callbackId, callId, legId } }, at);
}

function user2Called(steps: Steps, legId: string, at: Date): void {
  steps.add(
    { type: 'CallbackUser2Called', data: { callbackId: steps.s.callbackId, callId: steps.s.callId, legId } },
    at,
  );
}

const legOf = (e: CallEventIn): string | undefined =>
  e.type === 'LegInitiated' || e.type === 'LegRinging' || e.type === 'LegAnswered' || e.type === 'LegEnded'
    ? e.data.legId
    : undefined;

function callEvent(steps: Steps, e: CallEventIn, at: Date): void {
  const s0 = steps.s;
  if (s0.failed) {
    // CreateCall was given up on (the platform unreachable for a minute) yet the call was placed after all:
    // nobody would drive it, so it is released.
    if (e.type === 'LegRinging' || e.type === 'LegAnswered')
      steps.send({ type: 'Hangup', callId: e.data.callId });
    return;
  }
  adoptLegs(steps, e, at);
  const s = steps.s;
  const legId = legOf(e);
  const user: User | undefined =
    legId === undefined
      ? undefined
      : legId === s.user1LegId
        ? 'user1'
        : legId === s.user2LegId
          ? 'user2'
          : undefined;
  switch (e.type) {
    case 'LegInitiated':
      return;
    case 'LegRinging': {
      if (isOver(s) || !user || (user === 'user1' ? s.user1Ringing : s.user2Ringing)) return;
      const data = { callbackId: s.callbackId, callId: s.callId, legId: e.data.legId };
      steps.add(
        user === 'user1' ? { type: 'CallbackUser1Ringing', data } : { type: 'CallbackUser2Ringing', data },
        at,
      );
      return;
    }
    case 'LegAnswered':
      if (isOver(s)) return;
      if (user === 'user1' && !s.user1AnsweredAt) answered(steps, 'user1', at);
      if (user === 'user2' && !s.user2AnsweredAt) answered(steps, 'user2', at);
      return;
    case 'LegsBridged': {
      const legs = new Set([e.data.legAId, e.data.legBId]);
      if (isOver(s) || s.bridgedAt || !legs.has(s.user1LegId) || !legs.has(s.user2LegId)) return;
      steps.add(
        {
          type: 'CallbackBridged',
          data: { callbackId: s.callbackId, callId: s.callId, bridgeId: e.data.bridgeId, bridgedAt: at },
        },
        at,
      );
      return;
    }
    case 'BridgeEnded':
      if (s.bridgeId && e.data.bridgeId === s.bridgeId && !steps.live.bridgeEndedAt)
        steps.live = { ...steps.live, bridgeEndedAt: at };
      return;
    case 'LegEnded':
      if (!isOver(s) && user) legEnded(steps, user, e.data, at);
      return;
    case 'CallEnded':
      steps.live = { ...steps.live, callOver: true, releasing: false };
      if (!isOver(s)) callEnded(steps, e.data, at);
      return;
    case 'PlaybackStarted': {
      const step = playStepOfKey(s.callbackId, e.data.idempotencyKey);
      if (step)
        steps.live = { ...steps.live, playbacks: { ...steps.live.playbacks, [e.data.playbackId]: step } };
      return;
    }
    case 'PlaybackFinished': {
      const step = steps.live.playbacks[e.data.playbackId];
      if (step) playbackFinished(steps, step, e.data.reason);
      return;
    }
  }
}

const PLAY_STEPS: readonly PlayStep[] = ['ann1', 'ann2', 'digits2', 'user2failed', 'user2failedAgain'];

function playStepOfKey(callbackId: string, key: string): PlayStep | undefined {
  return PLAY_STEPS.find((step) => key === stepKey(callbackId, step));
}

/**
 * A call event may come before the platform's answer to the command that made its leg (CreateCall, Dial):
 * the call's first leg is user1's, and a new leg once user1 answered is user2's.
 */
function adoptLegs(steps: Steps, e: CallEventIn, at: Date): void {
  const legId = legOf(e);
  const s = steps.s;
  if (legId === undefined || isOver(s)) return;
  if (!s.callId) user1Called(steps, e.data.callId, legId, at);
  else if (s.user1AnsweredAt && !s.user2LegId && legId !== s.user1LegId && e.data.callId === s.callId)
    user2Called(steps, legId, at);
}

/** Records a user's answer, then starts what follows it (unless cancelled: the Hangup is on its way). */
function answered(steps: Steps, user: User, at: Date): void {
  const s = steps.s;
  const data = {
    callbackId: s.callbackId,
    callId: s.callId,
    legId: user === 'user1' ? s.user1LegId : s.user2LegId,
    answeredAt: at,
  };
  steps.add(
    user === 'user1' ? { type: 'CallbackUser1Answered', data } : { type: 'CallbackUser2Answered', data },
    at,
  );
  if (s.cancelReason !== undefined) return;
  const next = user === 'user1' ? user1AnsweredCommands(steps.s) : user2AnsweredCommands(steps.s);
  for (const c of next) steps.send(c);
}

/** Both at once (CONTRACT step 3): user1 hears its announcement while user2 is called. */
function user1AnsweredCommands(s: CallbackState): CallbackCommand[] {
  const r = s.request!;
  const out: CallbackCommand[] = [];
  if (r.user1Announcement?.source) out.push(play(s, 'ann1', s.user1LegId, r.user1Announcement));
  out.push({
    type: 'Dial',
    key: stepKey(s.callbackId, 'user2'),
    callId: s.callId,
    // Never bridged on answer: the platform dials through only from an inbound leg (sip-edge refuses an
    // outbound one), so BridgeLegs joins them once user2 answered (and heard its prompts).
    bridgeWithLegId: '',
    toUri: r.user2Uri,
    fromUri: r.callerUri,
    ringTimeoutMs: r.ringTimeoutMs,
  });
  return out;
}

function play(s: CallbackState, step: PlayStep, legId: string, announcement: Announcement): CallbackCommand {
  return { type: 'Play', key: stepKey(s.callbackId, step), step, callId: s.callId, legId, announcement };
}

function bridge(s: CallbackState): CallbackCommand {
  return {
    type: 'BridgeLegs',
    key: stepKey(s.callbackId, 'bridge'),
    callId: s.callId,
    legAId: s.user1LegId,
    legBId: s.user2LegId,
  };
}

/** user2's prompts (its announcement, else its digits; the rest on PlaybackFinished), or the bridge at once. */
function user2AnsweredCommands(s: CallbackState): CallbackCommand[] {
  const r = s.request!;
  if (r.user2Announcement?.source) return [play(s, 'ann2', s.user2LegId, r.user2Announcement)];
  if (r.user2Digits) return [play(s, 'digits2', s.user2LegId, digitsAnnouncement(r.user2Digits))];
  return [bridge(s)];
}

function playbackFinished(steps: Steps, step: PlayStep, reason?: callEvents.PlaybackEndReason): void {
  const s = steps.s;
  if (step === 'user2failed' || step === 'user2failedAgain') {
    if (
      step === 'user2failed' &&
      reason === callEvents.PlaybackEndReason.PLAYBACK_END_REASON_STOPPED &&
      steps.live.releasing &&
      s.callId
    ) {
      // Nothing of the callback's stops it: user1's own announcement, whose speech was still being made when
      // user2 failed, started late and replaced it. Played once more, so user1 still hears why it is released.
      steps.send(play(s, 'user2failedAgain', s.user1LegId, s.request!.user2FailedAnnouncement!));
      return;
    }
    if (steps.live.releasing && s.callId) {
      steps.live = { ...steps.live, releasing: false };
      steps.send({ type: 'Hangup', callId: s.callId });
    }
    return;
  }
  if (isOver(s) || s.bridgedAt || !s.user2AnsweredAt || s.cancelReason !== undefined) return;
  const digits = s.request!.user2Digits;
  if (step === 'ann2' && digits) steps.send(play(s, 'digits2', s.user2LegId, digitsAnnouncement(digits)));
  else if (step === 'ann2' || step === 'digits2') steps.send(bridge(s));
}

function legEnded(steps: Steps, user: User, leg: callEvents.LegEnded, at: Date): void {
  const s = steps.s;
  const answered = user === 'user1' ? s.user1AnsweredAt : s.user2AnsweredAt;
  const cancelled = s.cancelReason !== undefined;
  const cause = cancelled
    ? Cause.CALLBACK_END_CAUSE_CANCELLED
    : answered
      ? answeredCause(user, leg.cause)
      : unansweredCause(user, leg.cause, leg.sipStatus);
  const sipStatus = answered ? 0 : leg.sipStatus;
  if (s.bridgedAt) {
    // The platform releases the other leg itself (BRIDGE_PEER_ENDED) or both (MAX_DURATION). The bridge ended
    // in the same transaction as this leg (BridgeEnded first), so both carry the same time.
    end(steps, cause, 0, steps.live.bridgeEndedAt ?? at);
    return;
  }
  if (user === 'user1' && !answered) {
    // The call had only this leg: it is over.
    end(steps, cause, sipStatus, at);
    return;
  }
  endBeforeBridge(steps, cause, sipStatus, at);
}

/**
 * An end before the bridge with user1 answered: user2 failing makes user1 hear the user2-failed announcement
 * first; anything else hangs the call up at once (which cancels user2 if it still rings).
 */
function endBeforeBridge(
  steps: Steps,
  cause: callbackEvents.CallbackEndCause,
  sipStatus: number,
  at: Date,
): void {
  end(steps, cause, sipStatus, at);
  const s = steps.s;
  if (!s.callId) return;
  const failedAnnouncement = s.request!.user2FailedAnnouncement;
  if (isUser2Failure(cause) && failedAnnouncement?.source && s.user1AnsweredAt) {
    steps.live = { ...steps.live, releasing: true };
    steps.send(play(s, 'user2failed', s.user1LegId, failedAnnouncement));
  } else steps.send({ type: 'Hangup', callId: s.callId });
}

function callEnded(steps: Steps, call: callEvents.CallEnded, at: Date): void {
  const s = steps.s;
  const cause =
    s.cancelReason !== undefined
      ? Cause.CALLBACK_END_CAUSE_CANCELLED
      : s.user1AnsweredAt
        ? answeredCause('user1', call.cause)
        : unansweredCause('user1', call.cause, 0);
  end(steps, cause, 0, s.bridgedAt ? (steps.live.bridgeEndedAt ?? at) : at);
}

function end(steps: Steps, cause: callbackEvents.CallbackEndCause, sipStatus: number, endedAt: Date): void {
  const s = steps.s;
  const bridgedMs = s.bridgedAt ? Math.max(0, endedAt.getTime() - s.bridgedAt.getTime()) : 0;
  steps.add(
    {
      type: 'CallbackEnded',
      data: {
        callbackId: s.callbackId,
        callId: s.callId,
        cause,
        sipStatus,
        realDurationS: realDurationS(bridgedMs),
        bridgedMs,
        endedAt,
      },
    },
    endedAt,
  );
}

/** How long after its end a callback whose call we hang up ourselves is still hung up again at a restart. */
export const RELEASE_REDRIVE_MS = 10 * 60_000;

/**
 * What an open callback is owed after a restart: the command its last recorded step sends, which a crash
 * may have kept from leaving (all keyed or safe to repeat). Facts kept only in memory are gone, so a
 * callback between user2's answer and the bridge is bridged at once (a prompt cut short), and one whose
 * user1 hears the user2-failed announcement is hung up at once.
 */
export function owedCommands(s: CallbackState, now: Date): CallbackCommand[] {
  const r = s.request;
  if (!r || s.failed) return [];
  if (s.ended) {
    const recent = s.overAt !== undefined && now.getTime() - s.overAt.getTime() < RELEASE_REDRIVE_MS;
    return s.callId && !s.bridgedAt && recent ? [{ type: 'Hangup', callId: s.callId }] : [];
  }
  if (!s.callId) return [createCall(s)];
  if (s.cancelReason !== undefined) return [{ type: 'Hangup', callId: s.callId }];
  if (s.user1AnsweredAt && !s.user2LegId) return user1AnsweredCommands(s);
  if (s.user2AnsweredAt && !s.bridgedAt) return [bridge(s)];
  return [];
}

/** CONTRACT step 1: the call to user1, capped by the platform from user1's answer. */
export function createCall(s: CallbackState): CallbackCommand {
  const r = s.request!;
  return {
    type: 'CreateCall',
    key: stepKey(s.callbackId, 'user1'),
    toUri: r.user1Uri,
    fromUri: r.callerUri,
    ringTimeoutMs: r.ringTimeoutMs,
    maxDurationMs: r.maxDurationS * 1000,
    clientState: clientStateOf(s.callbackId),
  };
}
