// Deadlines rebuilt from the log after a restart are the ones decide armed, timed from the envelopes.
import type { RecordedEvent } from '@callctl/eventstore';
import { callEvents } from '@callctl/proto';
import { decide } from '../../domain/call.decide.js';
import type { CallEvent } from '../../domain/call.events.js';
import { evolve, initialState } from '../../domain/call.state.js';
import * as b from '../../domain/testing/builders.js';
import { emptyTimeline, recordTime } from '../call-timeline.js';
import { deadlineKey, deadlinesOf } from './deadlines-of.js';

/** Folds events as if each was recorded at the given time. */
function replay(...timed: Array<[CallEvent, number]>) {
  let state = initialState();
  let timeline = emptyTimeline();
  for (const [event, at] of timed) {
    state = evolve(state, event);
    timeline = recordTime(timeline, {
      type: event.type,
      data: event.data,
      metadata: { recordedAt: new Date(at) },
    } as unknown as RecordedEvent);
  }
  return deadlinesOf(state, timeline);
}

describe('deadlinesOf', () => {
  it('re-arms the backstop of a REFER-mode transfer still open from its request, and none once it ended', () => {
    const refer = { mode: callEvents.TransferMode.TRANSFER_MODE_REFER };
    const history = (): Array<[CallEvent, number]> => [
      ...b.bridgedAB().map((e): [CallEvent, number] => [e, 0]),
      [b.transferRequested(refer), 2_000],
    ];
    const requested = b.transferRequested(refer);
    const timeoutMs = requested.type === 'TransferRequested' ? requested.data.timeoutMs : 0;
    expect(replay(...history())).toContainEqual({
      kind: 'referOutcome',
      transferId: 'X1',
      atMs: 2_000 + timeoutMs + 10_000,
    });
    const ended = replay(...history(), [
      b.transferFailed(callEvents.TransferFailureCause.TRANSFER_FAILURE_CAUSE_REFER_REJECTED),
      3_000,
    ]);
    expect(ended.filter((d) => d.kind === 'referOutcome')).toEqual([]);
  });

  it('re-arms the ring timeout of a ringing outbound leg from when it was first initiated', () => {
    expect(
      replay(
        [b.callCreated(), 100],
        [b.legInitiated('A'), 100],
        [b.legInitiated('A', 'out', 'sip-1'), 900],
        [b.legRinging('A'), 950],
      ),
    ).toEqual([{ kind: 'ringTimeout', legId: 'A', atMs: 30_100 }]);
  });

  it('re-arms the maximum duration from the first answer', () => {
    expect(
      replay([b.callCreated('k', 60_000), 0], [b.legInitiated('A'), 0], [b.legAnswered('A'), 5_000]),
    ).toEqual([{ kind: 'maxDuration', atMs: 65_000 }]);
  });

  it('re-arms a collection from its last digit, with the digit count it has', () => {
    const started = b.collectStarted('A', 'D1', { maxDigits: 4 });
    expect(
      replay(
        [b.callCreated('k', 0), 0],
        [b.legInitiated('A'), 0],
        [b.legAnswered('A'), 0],
        [started, 1_000],
        [b.dtmfReceived('A', '1', 'D1'), 2_500],
      ),
    ).toEqual([{ kind: 'collectTimeout', collectId: 'D1', expectedDigits: 1, atMs: 2_500 + 3_000 }]);
  });

  it('re-arms no collection timer while its prompts play, and the first-digit timer from the last prompt', () => {
    const menu = b.prompt('menu.wav');
    const started = b.collectStarted('A', 'D1', { prompts: [menu] });
    const mid: Array<[CallEvent, number]> = [
      [b.callCreated('k', 0), 0],
      [b.legInitiated('A'), 0],
      [b.legAnswered('A'), 0],
      [started, 1_000],
      [b.promptStarted('A', 'D1', 0, menu), 1_000],
    ];
    // Only the prompt's own timeout, from its recorded start (its length is unknown: the 10 min bound).
    expect(replay(...mid)).toEqual([
      { kind: 'promptTimeout', collectId: 'D1', playbackId: 'D1-prompt-0', atMs: 1_000 + 600_000 },
    ]);
    const done = b.promptFinished(
      'A',
      'D1',
      0,
      menu,
      callEvents.PlaybackEndReason.PLAYBACK_END_REASON_COMPLETED,
    );
    expect(replay(...mid, [done, 4_000])).toEqual([
      { kind: 'collectTimeout', collectId: 'D1', expectedDigits: 0, atMs: 4_000 + 5_000 },
    ]);
  });

  it('re-arms a prompt that plays from its start + length + margin, with the key decide used', () => {
    const hello = b.prompt('hello', 'espeak/en-us'); // 1200 ms
    const decision = decide(
      b.collectDigits('A', { newId: 'D1', prompts: [hello] }),
      [b.callCreated('k', 0), b.legInitiated('A'), b.legAnswered('A')].reduce(evolve, initialState()),
    );
    const rebuilt = replay(
      [b.callCreated('k', 0), 0],
      [b.legInitiated('A'), 0],
      [b.legAnswered('A'), 0],
      ...decision.events.map((e): [CallEvent, number] => [e, 2_000]),
    );
    expect(rebuilt).toEqual([
      { kind: 'promptTimeout', collectId: 'D1', playbackId: 'D1-prompt-0', atMs: 2_000 + 1_200 + 5_000 },
    ]);
    expect(rebuilt.map((d) => deadlineKey('C1', d))).toEqual(
      decision.deadlines!.map((d) => deadlineKey('C1', d)),
    );
  });

  it('has none for an ended call', () => {
    expect(
      replay(
        [b.callCreated(), 0],
        [b.legInitiated('A'), 0],
        [b.legEnded('A', callEvents.EndCause.END_CAUSE_BUSY, 486), 1],
        [b.callEnded(callEvents.EndCause.END_CAUSE_BUSY), 1],
      ),
    ).toEqual([]);
  });

  it('gives the same keys as the deadlines decide returned', () => {
    const decision = decide(b.createCall('A'), initialState());
    const rebuilt = replay(...decision.events.map((e): [CallEvent, number] => [e, 1_000]));
    expect(rebuilt.map((d) => deadlineKey('C1', d))).toEqual(
      decision.deadlines!.map((d) => deadlineKey('C1', d)),
    );
    expect(rebuilt).toEqual(decision.deadlines);
  });
});
