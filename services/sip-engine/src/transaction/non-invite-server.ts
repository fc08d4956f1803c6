import type { Effect, TimerConfig } from './timers.js';

/**
 * RFC 3261 §17.2.2 non-INVITE server transaction as a pure state machine. `send` = (re)send the last
 * response the TU gave. Request retransmissions are absorbed while Trying and answered with the last
 * response afterwards; Timer J keeps the final response around for retransmissions over UDP.
 */
export type NistState =
  | { status: 'trying'; reliable: boolean }
  | { status: 'proceeding'; reliable: boolean }
  | { status: 'completed' }
  | { status: 'terminated' };

export type NistEvent =
  { type: 'request' } | { type: 'tuResponse'; status: number } | { type: 'timer'; timer: 'J' };

export function startNist(reliable: boolean): [NistState, Effect[]] {
  return [{ status: 'trying', reliable }, [{ type: 'deliver' }]];
}

export function stepNist(state: NistState, event: NistEvent, timers: TimerConfig): [NistState, Effect[]] {
  if (state.status === 'terminated') return [state, []];
  if (state.status === 'completed') {
    if (event.type === 'request') return [state, [{ type: 'send' }]];
    if (event.type === 'timer') return [{ status: 'terminated' }, [{ type: 'terminated' }]];
    return [state, []]; // a second final from the TU is refused by the shell before it gets here
  }
  if (event.type === 'request') return [state, state.status === 'proceeding' ? [{ type: 'send' }] : []];
  if (event.type !== 'tuResponse') return [state, []];
  if (event.status < 200) return [{ status: 'proceeding', reliable: state.reliable }, [{ type: 'send' }]];
  return [
    { status: 'completed' },
    [{ type: 'send' }, { type: 'startTimer', timer: 'J', ms: state.reliable ? 0 : 64 * timers.t1Ms }],
  ];
}
