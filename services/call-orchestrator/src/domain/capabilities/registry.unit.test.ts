import type { CallEvent } from '../call.events';
import { CALL_CAPABILITIES, callRegistry } from '../call.capabilities';
import { foldEvents } from '../call.state';
import { ValidationError } from '../errors';
import * as b from '../testing/builders';
import type { AnyCapability } from './capability';
import { buildRegistry } from './registry';
import { bridgesCapability } from './bridges/bridges.capability';
import { digitsCapability } from './digits/digits.capability';
import { legsCapability } from './legs/legs.capability';

/** The registered capabilities, each reporting the legs and calls it was asked to end things on. */
function watched() {
  const asked: string[] = [];
  const capabilities = CALL_CAPABILITIES.map((c): AnyCapability => ({
    ...c,
    onLegEnded: (s, l, end) => (asked.push(`${c.name}:leg ${l.legId}`), c.onLegEnded?.(s, l, end) ?? []),
    onCallEnded: (s) => (asked.push(`${c.name}:call`), c.onCallEnded?.(s) ?? []),
  }));
  return { asked, registry: buildRegistry(capabilities as unknown as typeof CALL_CAPABILITIES) };
}

describe('call capability registry', () => {
  it('asks every registered capability, in list order, what ends with a leg and with the call', () => {
    const { asked, registry } = watched();
    registry.decide(b.hangup(), foldEvents(b.bothAnswered()));
    const names = CALL_CAPABILITIES.map((c) => c.name);
    expect(asked).toEqual([
      ...names.map((n) => `${n}:leg A`),
      ...names.map((n) => `${n}:leg B`),
      ...names.map((n) => `${n}:call`),
    ]);
  });

  it("puts each capability's end-of-leg events before LegEnded, in list order", () => {
    const history: CallEvent[] = [
      ...b.bothAnswered(),
      b.legsBridged('A', 'B'),
      b.collectStarted('A', 'D1'),
      b.playbackStarted('A', 'P1'),
    ];
    const decision = callRegistry.decide(
      b.recordLegEnded('A', b.EndCause.END_CAUSE_REMOTE_HANGUP),
      foldEvents(history),
    );
    expect(decision.events.map((e) => e.type)).toEqual([
      'PlaybackFinished',
      'DigitsCollected',
      'BridgeEnded',
      'LegEnded',
    ]);
  });

  it("gives a created call every capability's empty part of the state", () => {
    expect(foldEvents([b.callCreated('k', 0)])).toEqual({
      status: 'active',
      callId: b.CALL,
      clientState: b.STATE,
      maxDurationMs: 0,
      answered: false,
      idempotency: { k: { fingerprint: '', resultId: b.CALL } },
      legs: {},
      playbacks: {},
      collects: {},
      bridges: {},
      mediaLost: {},
      monitors: {},
      transfers: {},
      movedOut: {},
      participants: {},
      siprecs: {},
      recordings: {},
      streams: {},
    });
  });

  it('refuses two capabilities that handle the same command', () => {
    const copy: AnyCapability = { name: 'copy', decide: { PlayMedia: () => ({ events: [] }) }, evolve: {} };
    expect(() => buildRegistry([...CALL_CAPABILITIES, copy] as unknown as typeof CALL_CAPABILITIES)).toThrow(
      /media and copy both handle decide of PlayMedia/,
    );
  });

  it('refuses two capabilities that apply the same event', () => {
    const copy: AnyCapability = { name: 'copy', decide: {}, evolve: { LegsBridged: (s: unknown) => s } };
    expect(() => buildRegistry([...CALL_CAPABILITIES, copy] as unknown as typeof CALL_CAPABILITIES)).toThrow(
      /bridges and copy both handle evolve of LegsBridged/,
    );
  });

  it('does not compile without a capability for every command and event; such a command is refused', () => {
    // @ts-expect-error media's commands and events (PlayMedia, PlaybackStarted, ...) have no capability
    const incomplete = buildRegistry([legsCapability, digitsCapability, bridgesCapability]);
    expect(() => incomplete.decide(b.playMedia('A'), foldEvents(b.answeredA()))).toThrow(ValidationError);
  });
});
