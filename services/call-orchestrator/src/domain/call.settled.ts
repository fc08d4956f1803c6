// Facts a call already reflects for good. A leg that answered stays answered until it ends, what ended
// stays ended, and a recorded bridge stays recorded, so deciding such a fact gives no events on this state
// and on every later state of the call.
// The command handler decides on a cached state that may be behind the log; it re-reads the log before
// trusting a no-op, except for these, which no later append can turn into something to record. Each
// capability says which of its facts settle (its `settled` table).
import type { CallCommand } from './call.commands';
import type { CallState } from './call.state';
import { callRegistry } from './call.capabilities';

export const settled = (command: CallCommand, state: CallState): boolean =>
  callRegistry.settled(command, state);
