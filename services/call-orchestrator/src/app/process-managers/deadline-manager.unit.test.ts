import { createLogger } from '@callctl/logging';
import { initialState } from '../../domain/call.state.js';
import { emptyTimeline } from '../call-timeline.js';
import type { LoadedCall } from '../call-repository.js';
import { DeadlineManager } from './deadline-manager.js';

const log = createLogger({ service: 'deadline-manager-test', level: 'silent' });

function manager() {
  return new DeadlineManager({
    send: () => Promise.reject(new Error('no command is expected')),
    clock: () => 0,
    ids: { next: () => 'id', fromName: (...parts) => parts.join('|') },
    log,
  });
}

/** A load that answers after a turn of the event loop and counts how many are waiting at once. */
function countingLoad() {
  const seen = { inFlight: 0, most: 0, loaded: [] as string[] };
  const load = async (callId: string): Promise<LoadedCall> => {
    seen.inFlight += 1;
    seen.most = Math.max(seen.most, seen.inFlight);
    await new Promise((resolve) => setImmediate(resolve));
    seen.inFlight -= 1;
    seen.loaded.push(callId);
    return { callId, state: initialState(), version: 0, timeline: emptyTimeline(), causations: new Set() };
  };
  return { seen, load };
}

describe('DeadlineManager.rearm', () => {
  it('loads every call, a chunk at a time, so that a restarted instance is not busy with all of them at once', async () => {
    const ids = Array.from({ length: 1300 }, (_, i) => `call-${i}`);
    const { seen, load } = countingLoad();
    await manager().rearm(ids, load);
    expect(seen.loaded.sort()).toEqual([...ids].sort());
    expect(seen.most).toBeGreaterThan(1);
    expect(seen.most).toBeLessThanOrEqual(512);
  });

  it('stops between chunks once closed, so no load outlives the shutdown', async () => {
    const ids = Array.from({ length: 1300 }, (_, i) => `call-${i}`);
    const { seen, load } = countingLoad();
    const deadlines = manager();
    const rearming = deadlines.rearm(ids, load);
    deadlines.close();
    await rearming;
    expect(seen.loaded.length).toBeGreaterThan(0);
    expect(seen.loaded.length).toBeLessThanOrEqual(512);
  });
});
