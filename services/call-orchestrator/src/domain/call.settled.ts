// Facts a call already reflects for good. A leg that answered stays answered until it ends, what ended
// stays ended, and a recorded bridge stays recorded, so deciding such a fact gives no events on this state
// and on every later state of the call.
// The command handler decides on a cached state that may be behind the log; it re-reads the log before
// trusting a no-op, except for these, which no later append can turn into something to record (sip-edge
// reports the answer and the end of each leg the application answered or hung up itself).
import type { CallCommand } from './call.commands';
import type { CallState } from './call.state';

export function settled(command: CallCommand, state: CallState): boolean {
  if (state.status === 'none') return false;
  // A bridge, once recorded, stays in the call's state (ended or not).
  if (command.type === 'RecordLegsBridged') return state.bridges[command.data.bridgeId] !== undefined;
  if (command.type !== 'RecordLegAnswered' && command.type !== 'RecordLegEnded') return false;
  const leg = state.legs[command.data.legId];
  if (command.type === 'RecordLegEnded') return state.status === 'ended' || leg?.status === 'ended';
  return state.status === 'active' && (leg?.status === 'answered' || leg?.status === 'ended');
}
