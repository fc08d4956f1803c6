// Property: a stream produced by deciding random valid commands folds to the same state whether it is
// replayed in one go, step by step, or from any prefix state. Seeded; the seed is in the test name.
import type { CallCommand } from './call.commands';
import { decide } from './call.decide';
import { settled } from './call.settled';
import type { CallEvent } from './call.events';
import { evolve, foldEvents, initialState, type CallState } from './call.state';
import * as b from './testing/builders';
import { seededRandom } from '@callctl/testing';

const LEGS = ['A', 'B', 'C'];
const KEYS = '0123456789#*';
function randomCommand(next: () => number, step: number): CallCommand {
  const pick = <T>(xs: readonly T[]): T => xs[Math.floor(next() * xs.length)] as T;
  const leg = pick(LEGS);
  const id = `x${step}`;
  const key = pick(['k1', 'k2', `k${step}`]);
  const options: Array<() => CallCommand> = [
    () => b.recordLegInitiated(leg, pick(['s1', 's2'])),
    () => b.recordLegRinging(leg, next() < 0.5),
    () => b.recordLegAnswered(leg, id),
    () => b.recordLegEnded(leg, pick([b.EndCause.END_CAUSE_BUSY, b.EndCause.END_CAUSE_REMOTE_HANGUP])),
    () => b.answerLeg(leg),
    () => b.hangup(next() < 0.2 ? undefined : leg),
    () => b.playMedia(leg, id, key),
    () => b.stopMedia(`x${Math.floor(next() * step)}`),
    () => b.recordPlaybackFinished(`x${Math.floor(next() * step)}`),
    () => b.collectDigits(leg, { newId: id, key, maxDigits: 1 + Math.floor(next() * 4) }),
    () => b.recordDtmf(leg, pick([...KEYS])),
    () => b.recordCollectTimeout(`x${Math.floor(next() * step)}`, Math.floor(next() * 3)),
    () => b.startEcho(leg),
    () => b.stopEcho(leg),
    () => b.bridgeLegs(leg, pick(LEGS), id, key),
    () => b.dial(leg, id, key),
    () => b.holdLeg(leg, { key, toPeer: next() < 0.5 }),
    () => b.resumeLeg(leg),
    () => b.recordLegHoldChanged(leg, next() < 0.5, pick(['sendonly', 'inactive', 'sendrecv'])),
    // Three-way participants (one option, so the others keep their share): as in the app, a key gives one
    // participant id and one leg id.
    () => {
      const k = pick(['k1', 'k2']);
      return pick([
        () =>
          b.addParticipant({
            id: `P-${k}`,
            leg: `L-${k}`,
            key: k,
            mode: pick([b.ParticipantMode.PARTICIPANT_MODE_FULL, b.ParticipantMode.PARTICIPANT_MODE_LISTEN]),
          }),
        () => b.removeParticipant(`P-${k}`),
        () => b.recordLegAnswered(`L-${k}`, id),
        () => b.recordLegEnded(`L-${k}`, b.EndCause.END_CAUSE_REMOTE_HANGUP),
      ])();
    },
  ];
  return pick(options)();
}

/** Decides random commands from a two-leg call; commands the state refuses are skipped, as an app would. */
function randomStream(seed: number, length: number): CallEvent[] {
  const next = seededRandom(seed);
  const events: CallEvent[] = [
    b.callCreated(),
    b.legInitiated('A'),
    b.legInitiated('B'),
    b.legInitiated('C', 'in'),
  ];
  let state = foldEvents(events);
  for (let step = 0; step < length && state.status === 'active'; step += 1) {
    try {
      const decision = decide(randomCommand(next, step), state);
      events.push(...decision.events);
      state = decision.events.reduce(evolve, state);
    } catch {
      // a refused command appends nothing
    }
  }
  return events;
}

const SEEDS = Array.from({ length: 200 }, (_, i) => 7919 * (i + 1));

describe('replay of a call stream', () => {
  it.each(SEEDS)('folds to the same state in one go, step by step and from a prefix (seed %i)', (seed) => {
    const events = randomStream(seed, 60);
    const folded = foldEvents(events);
    let stepwise: CallState = initialState();
    for (const e of events) stepwise = evolve(stepwise, e);
    const cut = Math.floor(events.length / 2);
    const fromPrefix = foldEvents(events.slice(cut), foldEvents(events.slice(0, cut)));
    expect(stepwise).toEqual(folded);
    expect(fromPrefix).toEqual(folded);
    expect(foldEvents(JSON.parse(JSON.stringify(events)) as CallEvent[])).toEqual(
      JSON.parse(JSON.stringify(folded)),
    );
  });

  it('produces streams that exercise media, bridges and participants (the property is not vacuous)', () => {
    const types = new Set(SEEDS.flatMap((s) => randomStream(s, 60).map((e) => e.type)));
    for (const t of [
      'LegAnswered',
      'PlaybackStarted',
      'DigitsCollected',
      'LegsBridged',
      'BridgeEnded',
      'EchoStarted',
      'CallEnded',
      'LegHeld',
      'LegResumed',
      'ParticipantAdded',
      'ParticipantRemoved',
    ])
      expect(types).toContain(t);
  });

  it('never emits events for a leg after it ended', () => {
    for (const seed of SEEDS) {
      const ended = new Set<string>();
      for (const e of randomStream(seed, 60)) {
        const legId = 'legId' in e.data ? e.data.legId : undefined;
        if (legId && ended.has(legId)) throw new Error(`seed ${seed}: ${e.type} after leg ${legId} ended`);
        if (e.type === 'LegEnded') ended.add(e.data.legId);
      }
    }
  });
});

describe('settled facts', () => {
  const facts = [
    ...LEGS.flatMap((leg) => [
      b.recordLegAnswered(leg, 'x'),
      b.recordLegEnded(leg, b.EndCause.END_CAUSE_REMOTE_HANGUP),
    ]),
    // The bridge ids randomStream's BridgeLegs commands use.
    ...Array.from({ length: 60 }, (_, step) => b.recordLegsBridged('A', 'B', `x${step}`)),
  ];
  const appendsNothing = (command: CallCommand, state: CallState) => {
    try {
      return decide(command, state).events.length === 0;
    } catch {
      return true; // refused: nothing appended either
    }
  };

  it.each(SEEDS)('append nothing on the state that settled them and on every later one (seed %i)', (seed) => {
    const events = randomStream(seed, 60);
    const states: CallState[] = [];
    let state = initialState();
    for (const e of events) states.push((state = evolve(state, e)));
    for (const fact of facts)
      for (let k = 0; k < states.length; k += 1)
        if (settled(fact, states[k]!))
          for (let j = k; j < states.length; j += 1)
            expect([fact.type, k, j, appendsNothing(fact, states[j]!)]).toEqual([fact.type, k, j, true]);
  });

  it('settles each kind of fact somewhere in the random streams (the property is not vacuous)', () => {
    const states = SEEDS.flatMap((seed) =>
      randomStream(seed, 60).reduce<CallState[]>(
        (acc, e) => [...acc, evolve(acc.at(-1) ?? initialState(), e)],
        [],
      ),
    );
    const kinds = new Set(facts.filter((f) => states.some((s) => settled(f, s))).map((f) => f.type));
    expect([...kinds].sort()).toEqual(['RecordLegAnswered', 'RecordLegEnded', 'RecordLegsBridged']);
  });
});
