// Re-drives the media of calls with a mixer room from the log (app/monitor-media.ts): at start, every
// active call with a monitor running or a three-way participant added (an orchestrator killed with -9 left
// rooms, forks and routes half done, or done
// by a process whose memory is gone); later, only the calls this process drives itself (a step that
// failed). Not every call on every resync: another instance's StartFork of a fork it made would replace it.
import type { CallState } from '../../domain/call.state.js';
import type { MonitorMedia } from '../monitor-media.js';

export async function redriveMonitors(
  monitors: MonitorMedia | undefined,
  callIds: readonly string[],
  stateOf: (callId: string) => CallState | undefined,
  atStart: boolean,
): Promise<number> {
  if (!monitors) return 0;
  let driven = 0;
  for (const callId of callIds) {
    const state = stateOf(callId);
    if (!state || !(atStart ? monitors.concerns(callId, state) : monitors.drives(callId))) continue;
    await monitors.drive(callId, state);
    driven++;
  }
  return driven;
}
