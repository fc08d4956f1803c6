import { Writable } from 'node:stream';
import { createLogger, type Logger } from '@callctl/logging';
import { IllegalStateError } from '../../domain/errors.js';
import type { CallCommand } from '../../domain/call.commands.js';
import { DeadlineManager } from './deadline-manager.js';
import { PeerError } from '../errors.js';
import * as b from '../../domain/testing/builders.js';
import type { RecordedEvent } from '@callctl/eventstore';
import type { CallEvent } from '../../domain/call.events.js';
import { evolve, initialState } from '../../domain/call.state.js';
import { emptyTimeline, recordTime } from '../call-timeline.js';
import type { LoadedCall } from '../call-repository.js';

/** A call as its log gives it, each event recorded at the given time. */
function loaded(...timed: Array<[CallEvent, number]>): LoadedCall {
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
  return { callId: 'c1', state, timeline, version: timed.length, causations: new Set() };
}

const log = createLogger({ service: 'deadline-test', level: 'silent' });
const ids = { next: () => 'id', fromName: () => 'id' };

/** What send returns when the command recorded something, and when it recorded nothing. */
const recorded = { decision: { events: [b.callEnded(b.EndCause.END_CAUSE_MAX_DURATION)] } };
const nothing = { decision: { events: [] } };

function manager(
  send: (callId: string, command: CallCommand) => Promise<typeof recorded | typeof nothing | void>,
  logger: Logger = log,
) {
  const sent: Array<[string, CallCommand]> = [];
  const m = new DeadlineManager({
    send: async (callId, command) => {
      sent.push([callId, command]);
      return (await send(callId, command)) ?? recorded;
    },
    clock: Date.now,
    ids,
    log: logger,
    retryMs: 10,
  });
  return { m, sent };
}
const until = async (check: () => boolean) => {
  while (!check()) await new Promise((resolve) => setTimeout(resolve, 5));
};

describe('DeadlineManager', () => {
  it('sends the command of a due deadline once, however often it is armed', async () => {
    const { m, sent } = manager(async () => undefined);
    const due = { kind: 'maxDuration' as const, atMs: Date.now() };
    m.arm('c1', [due]);
    m.arm('c1', [due]);
    await until(() => sent.length > 0 && m.armedFor('c1').length === 0);
    expect(sent).toHaveLength(1);
    expect(sent[0]![1]).toMatchObject({ type: 'Hangup', data: { cause: 8 } });
    m.close();
  });

  it('records a prompt whose timeout came as FAILED, so that its collection moves on', async () => {
    const { m, sent } = manager(async () => undefined);
    m.arm('c1', [{ kind: 'promptTimeout', collectId: 'D1', playbackId: 'D1-prompt-0', atMs: Date.now() }]);
    await until(() => sent.length > 0);
    expect(sent[0]![1]).toMatchObject({
      type: 'RecordPlaybackFinished',
      data: { playbackId: 'D1-prompt-0', failed: true },
    });
    m.close();
  });

  it('retries a command that failed for a peer, and drops one the domain refuses', async () => {
    let peerDown = true;
    const { m, sent } = manager(async (_callId, command) => {
      if (command.type === 'Hangup' && peerDown) {
        peerDown = false;
        throw new PeerError('sip-edge', 'UNAVAILABLE', 'down');
      }
      if (command.type === 'RecordCollectTimeout') throw new IllegalStateError('call ended');
    });
    m.arm('c1', [{ kind: 'ringTimeout', legId: 'L', atMs: Date.now() }]);
    m.arm('c2', [{ kind: 'collectTimeout', collectId: 'D', expectedDigits: 0, atMs: Date.now() }]);
    await until(() => sent.filter(([c]) => c === 'c1').length === 2);
    await until(() => m.armedFor('c1').length === 0 && m.armedFor('c2').length === 0);
    expect(sent.filter(([c]) => c === 'c2')).toHaveLength(1);
    m.close();
  });

  it('logs a deadline whose command recorded nothing (the call had ended) as not acted on', async () => {
    const lines: Array<{ msg: string; level: string; deadline?: string }> = [];
    const sink = new Writable({
      write: (chunk: Buffer, _encoding, done) => {
        lines.push(JSON.parse(chunk.toString()) as (typeof lines)[number]);
        done();
      },
    });
    const logger = createLogger({ service: 'deadline-test', level: 'debug', destination: sink });
    const { m, sent } = manager(async (callId) => (callId === 'ended' ? nothing : recorded), logger);
    m.arm('ended', [{ kind: 'ringTimeout', legId: 'L', atMs: Date.now() }]);
    m.arm('live', [{ kind: 'maxDuration', atMs: Date.now() }]);
    await until(() => sent.length === 2 && lines.length === 2);
    const about = (callId: string) => lines.filter((l) => (l as { callId?: string }).callId === callId);
    expect(about('ended')).toEqual([
      expect.objectContaining({
        level: 'debug',
        deadline: 'ringTimeout',
        msg: expect.stringMatching(/no longer applies/),
      }),
    ]);
    expect(about('live')).toEqual([expect.objectContaining({ level: 'info', msg: 'deadline acted on' })]);
    m.close();
  });
});

describe('DeadlineManager: timers yield to facts', () => {
  function yielding(sipState: string) {
    const seen: string[] = [];
    const m = new DeadlineManager({
      send: async (_callId, command) => {
        seen.push(command.type);
        return recorded;
      },
      clock: Date.now,
      ids,
      log,
      settleFacts: async (callId) => {
        seen.push(`settle ${callId}`);
        return true;
      },
      sipEdge: { listLegs: async () => [{ callId: 'c1', legId: 'L', sipState }] },
    });
    return { m, seen };
  }

  it.each([
    ['ringing', 'Hangup'],
    ['answered', 'RecordLegAnswered'],
  ])(
    "settles the call's pending facts, then, for a leg sip-edge has %s, sends %s",
    async (sipState, command) => {
      const { m, seen } = yielding(sipState);
      m.arm('c1', [{ kind: 'ringTimeout', legId: 'L', atMs: Date.now() }]);
      await until(() => seen.length === 2);
      expect(seen).toEqual(['settle c1', command]);
      m.close();
    },
  );

  it('moves the maximum duration timer to the latest limit (a later AnswerLeg), counted from the first answer', async () => {
    const { m, sent } = manager(async () => undefined);
    const answeredAt = Date.now() - 1_000;
    const answered: Array<[CallEvent, number]> = [
      [b.callCreated('k', 3_600_000), answeredAt],
      [b.legInitiated('A'), answeredAt],
      [b.legAnswered('A'), answeredAt],
    ];
    m.arm('c1', [{ kind: 'maxDuration', atMs: answeredAt + 3_600_000 }]);
    // The limit becomes 1 s, which the first answer 1 s ago has reached: the call is hung up now.
    const maxSet: CallEvent = {
      type: 'CallMaxDurationSet',
      data: { callId: 'c1', maxDurationMs: 1_000, clientState: '' },
    };
    m.follow('c1', loaded(...answered, [b.legInitiated('B'), Date.now()], [maxSet, Date.now()]));
    await until(() => sent.length > 0);
    expect(sent[0]![1]).toMatchObject({ type: 'Hangup', data: { cause: b.EndCause.END_CAUSE_MAX_DURATION } });
    m.close();
  });

  it('cancels the maximum duration timer when the latest limit is none (0)', () => {
    const { m } = manager(async () => undefined);
    const at = Date.now();
    m.arm('c1', [{ kind: 'maxDuration', atMs: at + 60_000 }]);
    const none: CallEvent = {
      type: 'CallMaxDurationSet',
      data: { callId: 'c1', maxDurationMs: 0, clientState: '' },
    };
    m.follow(
      'c1',
      loaded(
        [b.callCreated('k', 60_000), at],
        [b.legInitiated('A'), at],
        [b.legAnswered('A'), at],
        [none, at],
      ),
    );
    expect(m.armedFor('c1')).toEqual([]);
    m.close();
  });
});
