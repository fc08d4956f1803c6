import type { Effect, TimerConfig } from './timers.js';

/**
 * RFC 3261 §17.1.1 INVITE client transaction as a pure state machine. `send` = (re)send the INVITE,
 * `ack` = send the ACK the transaction builds itself for a non-2xx final (the app never ACKs those).
 * A 2xx ends the transaction: its ACK belongs to the dialog (the app sends it). Timer B → `timeout` (408).
 */
export type IctState =
  | { status: 'calling'; reliable: boolean; intervalMs: number }
  | { status: 'proceeding'; reliable: boolean }
  | { status: 'completed' }
  | { status: 'terminated' };

export type IctEvent = { type: 'response'; status: number } | { type: 'timer'; timer: 'A' | 'B' | 'D' };

export type IctEffect = Effect | { type: 'ack' };

export function startIct(timers: TimerConfig, reliable: boolean): [IctState, IctEffect[]] {
  const effects: IctEffect[] = [{ type: 'send' }, { type: 'startTimer', timer: 'B', ms: 64 * timers.t1Ms }];
  if (!reliable) effects.push({ type: 'startTimer', timer: 'A', ms: timers.t1Ms });
  return [{ status: 'calling', reliable, intervalMs: timers.t1Ms }, effects];
}

export function stepIct(state: IctState, event: IctEvent, timers: TimerConfig): [IctState, IctEffect[]] {
  if (state.status === 'terminated') return [state, []];
  if (event.type === 'timer') {
    if (event.timer === 'A' && state.status === 'calling') {
      // Timer A doubles without the T2 cap (RFC 3261 §17.1.1.2); Timer B bounds the total.
      const intervalMs = 2 * state.intervalMs;
      return [
        { ...state, intervalMs },
        [{ type: 'send' }, { type: 'startTimer', timer: 'A', ms: intervalMs }],
      ];
    }
    if (event.timer === 'B' && state.status === 'calling') {
      return [
        { status: 'terminated' },
        [{ type: 'stopTimer', timer: 'A' }, { type: 'timeout' }, { type: 'terminated' }],
      ];
    }
    if (event.timer === 'D' && state.status === 'completed') {
      return [{ status: 'terminated' }, [{ type: 'terminated' }]];
    }
    return [state, []];
  }
  if (state.status === 'completed') {
    // A retransmitted non-2xx final means our ACK was lost: ACK again, tell nobody.
    return [state, event.status >= 300 ? [{ type: 'ack' }] : []];
  }
  const stopAB: IctEffect[] = [
    { type: 'stopTimer', timer: 'A' },
    { type: 'stopTimer', timer: 'B' },
  ];
  if (event.status < 200) {
    return [
      { status: 'proceeding', reliable: state.reliable },
      [{ type: 'stopTimer', timer: 'A' }, { type: 'deliver' }],
    ];
  }
  if (event.status < 300)
    return [{ status: 'terminated' }, [...stopAB, { type: 'deliver' }, { type: 'terminated' }]];
  return [
    { status: 'completed' },
    [
      ...stopAB,
      { type: 'ack' },
      { type: 'deliver' },
      { type: 'startTimer', timer: 'D', ms: state.reliable ? 0 : Math.max(32_000, 64 * timers.t1Ms) },
    ],
  ];
}
