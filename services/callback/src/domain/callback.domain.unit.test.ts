import { callback, callbackEvents, callEvents } from '@callctl/proto';
import {
  decide,
  owedCommands,
  RELEASE_REDRIVE_MS,
  type CallbackCommand,
  type CallEventIn,
  type Decision,
  type Trigger,
} from './callback.decide.js';
import { evolve, initialState, type CallbackEvent, type CallbackState } from './callback.state.js';
import { viewOf } from './callback.view.js';
import { realDurationS } from './end-cause.js';

const { CallbackEndCause: Cause } = callbackEvents;
const { EndCause } = callEvents;
const { CallbackState: View } = callback;

const ID = 'cb0123456789abcdef-1';
const CS = `callback:${ID}`;
const T0 = Date.parse('2026-12-06T10:00:00.000Z');
const at = (ms: number) => new Date(T0 + ms);

function requested(overrides: Partial<callbackEvents.CallbackRequested> = {}): CallbackState {
  const data: callbackEvents.CallbackRequested = {
    callbackId: ID,
    user1: '100',
    user2: '101',
    user1Uri: 'sip:100@gw',
    user2Uri: 'sip:101@gw',
    callerUri: 'sip:callback@x',
    maxDurationS: 60,
    user1Announcement: { announcementId: '00080002', source: { $case: 'text', text: 'wait' } },
    user2Announcement: undefined,
    user2Digits: '',
    user2FailedAnnouncement: { announcementId: '00080003', source: { $case: 'text', text: 'sorry' } },
    origin: {
      kind: callbackEvents.CallbackOriginKind.CALLBACK_ORIGIN_KIND_IIF,
      peerName: 'as',
      peerAddress: '10.0.0.1:5000',
      iifId: '1234',
    },
    idempotencyKey: 'iif:as:1234',
    requestDigest: 'd',
    ringTimeoutMs: 30000,
    clientState: '',
    ...overrides,
  };
  return evolve(
    initialState(ID),
    { type: 'CallbackRequested', data },
    { version: 1, position: 1, recordedAt: at(0) },
  );
}

/** Applies a trigger the way the app does: decide, fold the events, keep the live facts. */
function step(s: CallbackState, t: Trigger, now = at(0)): { s: CallbackState; d: Decision } {
  const d = decide(s, t, now);
  let next: CallbackState = { ...s, live: d.live };
  for (const e of d.events)
    next = evolve(next, e, { version: next.version + 1, position: 0, recordedAt: now });
  return { s: next, d };
}

const call = (event: CallEventIn, ms: number): Trigger => ({ kind: 'call', event, recordedAt: at(ms) });
const ringing = (legId: string): CallEventIn => ({
  type: 'LegRinging',
  data: { callId: 'C', legId, earlyMedia: false, clientState: CS },
});
const answered = (legId: string): CallEventIn => ({
  type: 'LegAnswered',
  data: { callId: 'C', legId, clientState: CS },
});
const ended = (legId: string, cause: callEvents.EndCause, sipStatus = 0): CallEventIn => ({
  type: 'LegEnded',
  data: { callId: 'C', legId, cause, sipStatus, reason: '', clientState: CS },
});
const bridged: CallEventIn = {
  type: 'LegsBridged',
  data: {
    callId: 'C',
    bridgeId: 'B',
    legAId: 'L1',
    legBId: 'L2',
    clientState: CS,
    idempotencyKey: '',
    mediaSessionId: '',
  },
};
const bridgeEnded = (legId: string): CallEventIn => ({
  type: 'BridgeEnded',
  data: { callId: 'C', bridgeId: 'B', endedLegId: legId, clientState: CS, reason: 1, transferId: '' },
});
const callEnded = (cause: callEvents.EndCause): CallEventIn => ({
  type: 'CallEnded',
  data: { callId: 'C', cause, talkDurationMs: 0, clientState: CS },
});
const playbackStarted = (playbackId: string, step: string): CallEventIn => ({
  type: 'PlaybackStarted',
  data: callEvents.PlaybackStarted.fromPartial({
    callId: 'C',
    playbackId,
    idempotencyKey: `${ID}:${step}`,
    clientState: CS,
  }),
});
const playbackFinished = (
  playbackId: string,
  reason = callEvents.PlaybackEndReason.PLAYBACK_END_REASON_COMPLETED,
): CallEventIn => ({
  type: 'PlaybackFinished',
  data: callEvents.PlaybackFinished.fromPartial({ callId: 'C', playbackId, reason, clientState: CS }),
});

const types = (d: Decision) => d.events.map((e: CallbackEvent) => e.type);
const commands = (d: Decision) =>
  d.commands.map((c: CallbackCommand) => ('key' in c ? `${c.type} ${c.key.split(':')[1]}` : c.type));
const endOf = (s: CallbackState) => s.ended!;

/** Requested -> user1 called (CreateCall answered) -> ringing -> answered. */
function user1Up(s = requested()): CallbackState {
  let cur = step(s, {
    kind: 'result',
    command: owedCommands(s, at(0))[0]!,
    outcome: { ok: true, callId: 'C', legId: 'L1' },
  }).s;
  cur = step(cur, call(ringing('L1'), 100)).s;
  return step(cur, call(answered('L1'), 1000)).s;
}

function bothBridged(s = requested()): CallbackState {
  let cur = user1Up(s);
  cur = step(cur, call(ringing('L2'), 1100)).s;
  cur = step(cur, call(answered('L2'), 3000)).s;
  return step(cur, call(bridged, 3000)).s;
}

describe('a callback', () => {
  it('places the call to user1 first, capped from its answer, keyed by its step', () => {
    const [create] = owedCommands(requested(), at(0));
    expect(create).toEqual({
      type: 'CreateCall',
      key: `${ID}:user1`,
      toUri: 'sip:100@gw',
      fromUri: 'sip:callback@x',
      ringTimeoutMs: 30000,
      maxDurationMs: 60000,
      clientState: CS,
    });
  });

  it('on user1 answer plays its announcement and dials user2, bridged by BridgeLegs on its answer', () => {
    let s = requested();
    let r = step(s, {
      kind: 'result',
      command: owedCommands(s, at(0))[0]!,
      outcome: { ok: true, callId: 'C', legId: 'L1' },
    });
    expect(types(r.d)).toEqual(['CallbackUser1Called']);
    s = r.s;
    r = step(s, call(ringing('L1'), 100));
    expect(types(r.d)).toEqual(['CallbackUser1Ringing']);
    expect(types(step(r.s, call(ringing('L1'), 150)).d)).toEqual([]); // once
    r = step(r.s, call(answered('L1'), 1000));
    expect(types(r.d)).toEqual(['CallbackUser1Answered']);
    expect(r.s.user1AnsweredAt).toEqual(at(1000));
    expect(commands(r.d)).toEqual(['Play ann1', 'Dial user2']);
    const dial = r.d.commands[1] as Extract<CallbackCommand, { type: 'Dial' }>;
    // The platform dials through only from an inbound leg: user1's is outbound.
    expect(dial.bridgeWithLegId).toBe('');
    expect(viewOf(r.s).state).toBe(View.CALLBACK_STATE_CALLING_USER2);
    r = step(r.s, call(ringing('L2'), 1100));
    r = step(r.s, call(answered('L2'), 3000));
    expect(types(r.d)).toEqual(['CallbackUser2Answered']);
    expect(r.d.commands).toEqual([
      { type: 'BridgeLegs', key: `${ID}:bridge`, callId: 'C', legAId: 'L1', legBId: 'L2' },
    ]);
  });

  it('takes its call and legs from call events that come before the platform answers', () => {
    let r = step(requested(), call(ringing('L1'), 100));
    expect(types(r.d)).toEqual(['CallbackUser1Called', 'CallbackUser1Ringing']);
    r = step(r.s, call(answered('L1'), 200));
    r = step(r.s, call(ringing('L2'), 300));
    expect(types(r.d)).toEqual(['CallbackUser2Called', 'CallbackUser2Ringing']);
    expect(r.s.user2LegId).toBe('L2');
    // The Dial's answer afterwards changes nothing.
    const dial = owedCommands({ ...r.s, user2LegId: '' }, at(0))[1]!;
    expect(types(step(r.s, { kind: 'result', command: dial, outcome: { ok: true, legId: 'L2' } }).d)).toEqual(
      [],
    );
  });

  it('fails when the platform refuses the call to user1 for good', () => {
    const s = requested();
    const r = step(s, {
      kind: 'result',
      command: owedCommands(s, at(0))[0]!,
      outcome: { ok: false, code: 'INVALID_ARGUMENT', message: 'bad uri' },
    });
    expect(types(r.d)).toEqual(['CallbackFailed']);
    expect(viewOf(r.s).state).toBe(View.CALLBACK_STATE_FAILED);
    expect(owedCommands(r.s, at(0))).toEqual([]);
    // A call placed after all (an answer lost while the platform was unreachable) is released.
    const late = step(r.s, call(ringing('L1'), 100));
    expect(late.d).toMatchObject({ events: [], commands: [{ type: 'Hangup', callId: 'C' }] });
  });

  describe('user1 ends unanswered: user2 is never called, real duration 0', () => {
    it.each([
      [EndCause.END_CAUSE_BUSY, 486, Cause.CALLBACK_END_CAUSE_USER1_BUSY],
      [EndCause.END_CAUSE_NO_ANSWER, 0, Cause.CALLBACK_END_CAUSE_USER1_NO_ANSWER],
      [EndCause.END_CAUSE_REJECTED, 603, Cause.CALLBACK_END_CAUSE_USER1_REJECTED],
      [EndCause.END_CAUSE_UNREACHABLE, 404, Cause.CALLBACK_END_CAUSE_USER1_UNREACHABLE],
      [EndCause.END_CAUSE_UNREACHABLE, 600, Cause.CALLBACK_END_CAUSE_USER1_BUSY],
    ])('leg cause %s, SIP %s', (cause, sip, expected) => {
      let r = step(requested(), call(ringing('L1'), 100));
      r = step(r.s, call(ended('L1', cause, sip), 5000));
      expect(types(r.d)).toEqual(['CallbackEnded']);
      expect(endOf(r.s)).toMatchObject({
        cause: expected,
        sipStatus: sip,
        realDurationS: 0,
        endedAt: at(5000),
      });
      expect(r.d.commands).toEqual([]);
    });
  });

  describe('user2 ends before the bridge: user1 hears the failed announcement, then the call is hung up', () => {
    it.each([
      [EndCause.END_CAUSE_BUSY, 486, Cause.CALLBACK_END_CAUSE_USER2_BUSY],
      [EndCause.END_CAUSE_NO_ANSWER, 0, Cause.CALLBACK_END_CAUSE_USER2_NO_ANSWER],
      [EndCause.END_CAUSE_REJECTED, 603, Cause.CALLBACK_END_CAUSE_USER2_REJECTED],
      [EndCause.END_CAUSE_UNREACHABLE, 503, Cause.CALLBACK_END_CAUSE_USER2_UNREACHABLE],
      [EndCause.END_CAUSE_NOT_REGISTERED, 480, Cause.CALLBACK_END_CAUSE_USER2_UNREACHABLE],
      [EndCause.END_CAUSE_NO_ROUTE, 404, Cause.CALLBACK_END_CAUSE_USER2_UNREACHABLE],
    ])('leg cause %s, SIP %s', (cause, sip, expected) => {
      let r = step(user1Up(), call(ringing('L2'), 1100));
      r = step(r.s, call(ended('L2', cause, sip), 9000));
      expect(endOf(r.s)).toMatchObject({ cause: expected, sipStatus: sip, realDurationS: 0 });
      expect(commands(r.d)).toEqual(['Play user2failed']);
      expect(viewOf(r.s).state).toBe(View.CALLBACK_STATE_RELEASING);
      r = step(r.s, call(playbackStarted('P9', 'user2failed'), 9100));
      r = step(r.s, call(playbackFinished('P9'), 12000));
      expect(r.d.commands).toEqual([{ type: 'Hangup', callId: 'C' }]);
      r = step(r.s, call(callEnded(EndCause.END_CAUSE_LOCAL_HANGUP), 12100));
      expect(types(r.d)).toEqual([]);
      expect(viewOf(r.s).state).toBe(View.CALLBACK_STATE_ENDED);
    });

    it("plays it once more when user1's own announcement, started late, replaced it; then hangs up", () => {
      let r = step(user1Up(), call(ringing('L2'), 1100));
      r = step(r.s, call(ended('L2', EndCause.END_CAUSE_BUSY, 486), 1200));
      expect(commands(r.d)).toEqual(['Play user2failed']);
      r = step(r.s, call(playbackStarted('P9', 'user2failed'), 1300));
      // user1's announcement was still being synthesized: its PlaybackStarted comes now and stops P9.
      r = step(r.s, call(playbackStarted('P1', 'ann1'), 1400));
      const stopped = callEvents.PlaybackEndReason.PLAYBACK_END_REASON_STOPPED;
      r = step(r.s, call(playbackFinished('P9', stopped), 1400));
      expect(commands(r.d)).toEqual(['Play user2failedAgain']);
      r = step(r.s, call(playbackStarted('P10', 'user2failedAgain'), 1500));
      r = step(r.s, call(playbackFinished('P1', stopped), 1500));
      expect(r.d.commands).toEqual([]);
      // Once only: the second one ends the release whatever its reason.
      r = step(r.s, call(playbackFinished('P10', stopped), 4000));
      expect(r.d.commands).toEqual([{ type: 'Hangup', callId: 'C' }]);
    });

    it('hangs up at once without a failed announcement', () => {
      let r = step(user1Up(requested({ user2FailedAnnouncement: undefined })), call(ringing('L2'), 1100));
      r = step(r.s, call(ended('L2', EndCause.END_CAUSE_BUSY, 486), 2000));
      expect(r.d.commands).toEqual([{ type: 'Hangup', callId: 'C' }]);
    });

    it('user2 hanging up during its announcement is USER2_HANGUP', () => {
      let r = step(user1Up(requested({ user2Digits: '123' })), call(ringing('L2'), 1100));
      r = step(r.s, call(answered('L2'), 2000));
      expect(commands(r.d)).toEqual(['Play digits2']);
      r = step(r.s, call(ended('L2', EndCause.END_CAUSE_REMOTE_HANGUP), 2500));
      expect(endOf(r.s)).toMatchObject({ cause: Cause.CALLBACK_END_CAUSE_USER2_HANGUP, realDurationS: 0 });
      expect(commands(r.d)).toEqual(['Play user2failed']);
    });

    it('a BridgeLegs the platform refuses (a phone refused the re-INVITE) releases both: PLATFORM_FAILURE', () => {
      let r = step(user1Up(), call(ringing('L2'), 1100));
      r = step(r.s, call(answered('L2'), 2000));
      const bridge = r.d.commands.find((c: CallbackCommand) => c.type === 'BridgeLegs')!;
      r = step(r.s, {
        kind: 'result',
        command: bridge,
        outcome: { ok: false, code: 'FAILED_PRECONDITION', message: 'leg L2 refused the re-INVITE: 488' },
      });
      expect(endOf(r.s)).toMatchObject({
        cause: Cause.CALLBACK_END_CAUSE_PLATFORM_FAILURE,
        realDurationS: 0,
      });
      expect(r.d.commands).toEqual([{ type: 'Hangup', callId: 'C' }]);
    });

    it('a Dial the platform refuses is user2 unreachable', () => {
      const s = user1Up();
      const dial = owedCommands(s, at(0))[1]!;
      const r = step(s, {
        kind: 'result',
        command: dial,
        outcome: { ok: false, code: 'FAILED_PRECONDITION', message: 'x' },
      });
      expect(endOf(r.s).cause).toBe(Cause.CALLBACK_END_CAUSE_USER2_UNREACHABLE);
    });
  });

  it('user1 hanging up before the bridge hangs the call up (user2 cancelled): USER1_HANGUP', () => {
    let r = step(user1Up(), call(ringing('L2'), 1100));
    r = step(r.s, call(ended('L1', EndCause.END_CAUSE_REMOTE_HANGUP), 4000));
    expect(endOf(r.s)).toMatchObject({ cause: Cause.CALLBACK_END_CAUSE_USER1_HANGUP, realDurationS: 0 });
    expect(r.d.commands).toEqual([{ type: 'Hangup', callId: 'C' }]);
    // user2's leg, cancelled by that Hangup, changes nothing.
    expect(types(step(r.s, call(ended('L2', EndCause.END_CAUSE_LOCAL_HANGUP), 4100)).d)).toEqual([]);
  });

  describe('after the bridge (the orchestrator records BridgeEnded, then LegEnded of the leg that ended)', () => {
    it('user1 hangs up: USER1_HANGUP, real duration from the bridge to its end, halves up', () => {
      let r = step(bothBridged(), call(bridgeEnded('L1'), 3000 + 180_500));
      expect(types(r.d)).toEqual([]);
      r = step(r.s, call(ended('L1', EndCause.END_CAUSE_REMOTE_HANGUP), 3000 + 180_500));
      expect(endOf(r.s)).toMatchObject({
        cause: Cause.CALLBACK_END_CAUSE_USER1_HANGUP,
        realDurationS: 181,
        bridgedMs: 180_500,
        endedAt: at(183_500),
      });
      expect(r.d.commands).toEqual([]); // the platform releases user2 itself
      // The peer's BRIDGE_PEER_ENDED and CallEnded add nothing.
      r = step(r.s, call(ended('L2', EndCause.END_CAUSE_BRIDGE_PEER_ENDED), 183_600));
      r = step(r.s, call(callEnded(EndCause.END_CAUSE_BRIDGE_PEER_ENDED), 183_600));
      expect(types(r.d)).toEqual([]);
    });

    it('user2 hangs up: USER2_HANGUP', () => {
      let r = step(bothBridged(), call(bridgeEnded('L2'), 13_499));
      r = step(r.s, call(ended('L2', EndCause.END_CAUSE_REMOTE_HANGUP), 13_499));
      expect(endOf(r.s)).toMatchObject({ cause: Cause.CALLBACK_END_CAUSE_USER2_HANGUP, realDurationS: 10 });
    });

    it('the cap releases both legs: MAX_DURATION', () => {
      let r = step(bothBridged(), call(bridgeEnded('L1'), 61_000));
      r = step(r.s, call(ended('L1', EndCause.END_CAUSE_MAX_DURATION), 61_000));
      expect(endOf(r.s)).toMatchObject({ cause: Cause.CALLBACK_END_CAUSE_MAX_DURATION, realDurationS: 58 });
    });

    it('without BridgeEnded (a restart lost it), the first LegEnded of a bridged leg gives the end', () => {
      const r = step(bothBridged(), call(ended('L2', EndCause.END_CAUSE_REMOTE_HANGUP), 5_400));
      expect(endOf(r.s)).toMatchObject({ cause: Cause.CALLBACK_END_CAUSE_USER2_HANGUP, realDurationS: 2 });
    });

    it('with only CallEnded, that gives the end', () => {
      const r = step(bothBridged(), call(callEnded(EndCause.END_CAUSE_MAX_DURATION), 8_000));
      expect(endOf(r.s)).toMatchObject({ cause: Cause.CALLBACK_END_CAUSE_MAX_DURATION, realDurationS: 5 });
    });
  });

  describe('cancel', () => {
    it('records the request, hangs the call up and ends CANCELLED', () => {
      let r = step(bothBridged(), { kind: 'cancel', reason: 'operator' });
      expect(types(r.d)).toEqual(['CallbackCancelRequested']);
      expect(r.d.commands).toEqual([{ type: 'Hangup', callId: 'C' }]);
      expect(types(step(r.s, { kind: 'cancel', reason: 'again' }).d)).toEqual([]);
      r = step(r.s, call(bridgeEnded('L1'), 7_000));
      r = step(r.s, call(ended('L1', EndCause.END_CAUSE_LOCAL_HANGUP), 7_000));
      expect(endOf(r.s)).toMatchObject({ cause: Cause.CALLBACK_END_CAUSE_CANCELLED, realDurationS: 4 });
    });

    it('before the call is placed: the call is hung up as soon as CreateCall answers', () => {
      const s = requested();
      let r = step(s, { kind: 'cancel', reason: 'x' });
      expect(r.d.commands).toEqual([]);
      r = step(r.s, {
        kind: 'result',
        command: owedCommands(s, at(0))[0]!,
        outcome: { ok: true, callId: 'C', legId: 'L1' },
      });
      expect(types(r.d)).toEqual(['CallbackUser1Called']);
      expect(r.d.commands).toEqual([{ type: 'Hangup', callId: 'C' }]);
      r = step(r.s, call(ended('L1', EndCause.END_CAUSE_LOCAL_HANGUP), 500));
      expect(endOf(r.s).cause).toBe(Cause.CALLBACK_END_CAUSE_CANCELLED);
    });
  });

  describe('user2 prompts before the bridge', () => {
    it('plays the announcement, then the digits, then bridges', () => {
      const ann2 = { announcementId: '12345678', source: { $case: 'fileId' as const, fileId: 'm1' } };
      let r = step(
        user1Up(requested({ user2Announcement: ann2, user2Digits: '42' })),
        call(ringing('L2'), 1100),
      );
      r = step(r.s, call(answered('L2'), 2000));
      expect(commands(r.d)).toEqual(['Play ann2']);
      expect(viewOf(r.s).state).toBe(View.CALLBACK_STATE_CONNECTING);
      r = step(r.s, { kind: 'result', command: r.d.commands[0]!, outcome: { ok: true, playbackId: 'P2' } });
      r = step(r.s, call(playbackFinished('P2'), 4000));
      expect(commands(r.d)).toEqual(['Play digits2']);
      const digits = r.d.commands[0] as Extract<CallbackCommand, { type: 'Play' }>;
      expect(digits.announcement.source).toEqual({ $case: 'text', text: '4 2' });
      r = step(r.s, call(playbackStarted('P3', 'digits2'), 4001));
      r = step(r.s, call(playbackFinished('P3'), 5000));
      expect(r.d.commands).toEqual([
        { type: 'BridgeLegs', key: `${ID}:bridge`, callId: 'C', legAId: 'L1', legBId: 'L2' },
      ]);
    });
  });

  describe('after a restart (owed commands)', () => {
    it('re-drives CreateCall of a callback requested only', () => {
      expect(owedCommands(requested(), at(0)).map((c) => c.type)).toEqual(['CreateCall']);
    });
    it('re-drives the announcement and the Dial of a callback whose user1 answered', () => {
      expect(owedCommands(user1Up(), at(0)).map((c) => c.type)).toEqual(['Play', 'Dial']);
    });
    it('waits for events while a user rings or they talk', () => {
      expect(owedCommands(step(requested(), call(ringing('L1'), 1)).s, at(0))).toEqual([]);
      expect(owedCommands(bothBridged(), at(0))).toEqual([]);
    });
    it.each([
      ['with', '1'],
      ['without', ''],
    ])('bridges at once a callback between user2 answer and the bridge (%s prompts)', (_, digits) => {
      let r = step(user1Up(requested({ user2Digits: digits })), call(answered('L2'), 2000));
      r = { ...r, s: { ...r.s, live: { playbacks: {}, releasing: false, callOver: false } } };
      expect(owedCommands(r.s, at(0)).map((c) => c.type)).toEqual(['BridgeLegs']);
    });
    it('hangs up again the call of a callback that ended before the bridge, recently', () => {
      let r = step(user1Up(), call(ringing('L2'), 1100));
      r = step(r.s, call(ended('L2', EndCause.END_CAUSE_BUSY, 486), 2000));
      expect(owedCommands(r.s, at(3000))).toEqual([{ type: 'Hangup', callId: 'C' }]);
      expect(owedCommands(r.s, at(RELEASE_REDRIVE_MS + 5000))).toEqual([]);
    });
    it('hangs up a cancelled callback', () => {
      const r = step(user1Up(), { kind: 'cancel', reason: 'x' });
      expect(owedCommands(r.s, at(0))).toEqual([{ type: 'Hangup', callId: 'C' }]);
    });
  });

  it('ignores events of its call after it ended', () => {
    let r = step(requested(), call(ended('L1', EndCause.END_CAUSE_BUSY, 486), 100));
    r = step(r.s, call(answered('L1'), 200));
    expect(types(r.d)).toEqual([]);
  });
});

describe('real duration', () => {
  it.each([
    [0, 0],
    [-5, 0],
    [499, 0],
    [500, 1],
    [1499, 1],
    [1500, 2],
    [180_499, 180],
    [180_500, 181],
  ])('%s ms -> %s s', (ms, s) => expect(realDurationS(ms)).toBe(s));
});
