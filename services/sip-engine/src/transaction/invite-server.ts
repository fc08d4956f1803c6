import type { Effect, TimerConfig } from './timers.js';

/**
 * RFC 3261 §17.2.1 INVITE server transaction as a pure state machine. `send` means "(re)send the last
 * response the TU gave". A 2xx ends the transaction at once: its retransmission until ACK belongs to the
 * dialog core (RFC 3261 §13.3.1.4), as does the BYE when no ACK ever comes. A non-2xx final is
 * retransmitted on timer G (UDP only) until the ACK, which the transaction absorbs.
 */
export type IstState =
  | { status: 'proceeding'; reliable: boolean }
  | { status: 'completed'; reliable: boolean; intervalMs: number }
  | { status: 'confirmed' }
  | { status: 'terminated' };

export type IstEvent =
  | { type: 'request' }
  | { type: 'ack' }
  | { type: 'tuResponse'; status: number }
  | { type: 'timer'; timer: 'G' | 'H' | 'I' };

/** The shell sends `100 Trying` at once (the app may take longer than 200 ms to answer). */
export function startIst(reliable: boolean): [IstState, Effect[]] {
  return [{ status: 'proceeding', reliable }, [{ type: 'deliver' }]];
}

export function stepIst(state: IstState, event: IstEvent, timers: TimerConfig): [IstState, Effect[]] {
  switch (state.status) {
    case 'proceeding':
      if (event.type === 'request') return [state, [{ type: 'send' }]];
      if (event.type !== 'tuResponse') return [state, []];
      if (event.status < 200) return [state, [{ type: 'send' }]];
      if (event.status < 300) return [{ status: 'terminated' }, [{ type: 'send' }, { type: 'terminated' }]];
      return [
        { status: 'completed', reliable: state.reliable, intervalMs: timers.t1Ms },
        [
          { type: 'send' },
          ...(state.reliable ? [] : [{ type: 'startTimer', timer: 'G', ms: timers.t1Ms } as const]),
          { type: 'startTimer', timer: 'H', ms: 64 * timers.t1Ms },
        ],
      ];
    case 'completed':
      if (event.type === 'request') return [state, [{ type: 'send' }]];
      if (event.type === 'ack') {
        return [
          { status: 'confirmed' },
          [
            { type: 'stopTimer', timer: 'G' },
            { type: 'stopTimer', timer: 'H' },
            { type: 'startTimer', timer: 'I', ms: state.reliable ? 0 : timers.t4Ms },
          ],
        ];
      }
      if (event.type === 'timer' && event.timer === 'G') {
        const intervalMs = Math.min(2 * state.intervalMs, timers.t2Ms);
        return [
          { ...state, intervalMs },
          [{ type: 'send' }, { type: 'startTimer', timer: 'G', ms: intervalMs }],
        ];
      }
      if (event.type === 'timer' && event.timer === 'H') {
        // No ACK for our non-2xx: give up quietly (the TU is told so it can log it).
        return [
          { status: 'terminated' },
          [{ type: 'stopTimer', timer: 'G' }, { type: 'timeout' }, { type: 'terminated' }],
        ];
      }
      return [state, []];
    case 'confirmed':
      if (event.type === 'timer' && event.timer === 'I')
        return [{ status: 'terminated' }, [{ type: 'terminated' }]];
      return [state, []]; // ACK retransmissions absorbed
    case 'terminated':
      return [state, []];
  }
}
