// given events, when command, then events: a jest helper over decide/evolve. `then` also checks that the
// new events fold without loss (evolve accepts them), so every case exercises both halves of the Decider.
import type { CallCommand } from '../call.commands';
import { decide, type Decision } from '../call.decide';
import type { Deadline } from '../call.guards';
import type { CallEvent } from '../call.events';
import { foldEvents, type CallState } from '../call.state';

type ErrorClass = abstract new (...args: never[]) => Error;

export interface Spec {
  when(command: CallCommand): {
    then(...expected: CallEvent[]): void;
    thenNothing(): void;
    thenResult(resultId: string, ...expected: CallEvent[]): void;
    thenThrows(errorClass: ErrorClass, messagePart?: RegExp): void;
    thenState(check: (state: CallState) => void): void;
    thenDeadlines(...expected: Deadline[]): void;
  };
}

export function given(...history: CallEvent[]): Spec {
  const state = foldEvents(history);
  return {
    when(command) {
      const run = (): Decision => decide(command, state);
      return {
        then(...expected) {
          const decision = run();
          expect(decision.events).toEqual(expected);
          foldEvents(decision.events, state);
        },
        thenNothing() {
          expect(run().events).toEqual([]);
        },
        thenResult(resultId, ...expected) {
          const decision = run();
          expect(decision.resultId).toBe(resultId);
          if (expected.length > 0) expect(decision.events).toEqual(expected);
        },
        thenThrows(errorClass, messagePart) {
          let caught: unknown;
          try {
            run();
          } catch (error) {
            caught = error;
          }
          expect(caught).toBeInstanceOf(errorClass);
          if (messagePart) expect((caught as Error).message).toMatch(messagePart);
        },
        thenState(check) {
          check(foldEvents(run().events, state));
        },
        thenDeadlines(...expected) {
          expect(run().deadlines ?? []).toEqual(expected);
        },
      };
    },
  };
}
