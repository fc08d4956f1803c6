import type { Effect, TimerConfig } from './timers.js';

/**
 * RFC 3261 §17.1.2 non-INVITE client transaction as a pure state machine. Each transition returns the next
 * state and the effects to run: `send` retransmits the request, `deliver` passes the response up, `timeout`
 * reports Timer F expiry (the engine turns it into a local 408).
 */
export type NictState =
  | { status: 'trying'; intervalMs: number; reliable: boolean }
  | { status: 'proceeding'; intervalMs: number; reliable: boolean }
  | { status: 'completed' }
  | { status: 'terminated' };

export type NictEvent = { type: 'response'; status: number } | { type: 'timer'; timer: 'E' | 'F' | 'K' };

export function startNict(timers: TimerConfig, reliable: boolean): [NictState, Effect[]] {
  const effects: Effect[] = [{ type: 'send' }, { type: 'startTimer', timer: 'F', ms: 64 * timers.t1Ms }];
  // Retransmissions over UDP only: a reliable transport already retransmits.
  if (!reliable) effects.push({ type: 'startTimer', timer: 'E', ms: timers.t1Ms });
  return [{ status: 'trying', intervalMs: timers.t1Ms, reliable }, effects];
}

export function stepNict(state: NictState, event: NictEvent, timers: TimerConfig): [NictState, Effect[]] {
  if (state.status === 'terminated') return [state, []];
  if (event.type === 'timer' && event.timer === 'F' && state.status !== 'completed') {
    return [
      { status: 'terminated' },
      [{ type: 'stopTimer', timer: 'E' }, { type: 'timeout' }, { type: 'terminated' }],
    ];
  }
  if (event.type === 'timer' && event.timer === 'K') {
    return state.status === 'completed' ? [{ status: 'terminated' }, [{ type: 'terminated' }]] : [state, []];
  }
  if (event.type === 'timer' && event.timer === 'E') {
    if (state.status === 'completed') return [state, []];
    // In Trying the interval doubles up to T2; in Proceeding it stays at T2.
    const intervalMs = state.status === 'trying' ? Math.min(2 * state.intervalMs, timers.t2Ms) : timers.t2Ms;
    return [{ ...state, intervalMs }, [{ type: 'send' }, { type: 'startTimer', timer: 'E', ms: intervalMs }]];
  }
  if (event.type !== 'response') return [state, []];
  if (state.status === 'completed') return [state, []]; // retransmitted final response: absorbed
  if (event.status < 200) {
    return [
      { status: 'proceeding', intervalMs: state.intervalMs, reliable: state.reliable },
      [{ type: 'deliver' }],
    ];
  }
  return [
    { status: 'completed' },
    [
      { type: 'stopTimer', timer: 'E' },
      { type: 'stopTimer', timer: 'F' },
      { type: 'deliver' },
      { type: 'startTimer', timer: 'K', ms: state.reliable ? 0 : timers.t4Ms },
    ],
  ];
}
