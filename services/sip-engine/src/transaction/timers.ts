/** RFC 3261 §17 timer base values. */
export interface TimerConfig {
  /** RTT estimate. @default 500 */
  t1Ms: number;
  /** Cap of non-INVITE request and INVITE response retransmit intervals. @default 4000 */
  t2Ms: number;
  /** Maximum time a message stays in the network. @default 5000 */
  t4Ms: number;
}

export const DEFAULT_TIMERS: TimerConfig = { t1Ms: 500, t2Ms: 4000, t4Ms: 5000 };

export type TimerName = 'A' | 'B' | 'D' | 'E' | 'F' | 'G' | 'H' | 'I' | 'J' | 'K';

/** What a state machine asks its shell to do; the shell owns sockets and setTimeout. */
export type Effect =
  | { type: 'send' }
  | { type: 'startTimer'; timer: TimerName; ms: number }
  | { type: 'stopTimer'; timer: TimerName }
  | { type: 'deliver' }
  | { type: 'timeout' }
  | { type: 'terminated' };
