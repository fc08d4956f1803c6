// The I/O shell around the pure RFC 3261 §17 machines in ../transaction: it owns the bytes to (re)send,
// the timers (through the injected Clock) and the hooks into the engine. One object per transaction;
// every timer is cancelled when the transaction ends, and `onTerminated` lets the owner drop its table
// entries, so nothing outlives its transaction.
import type { Logger } from '@callctl/logging';
import { buildNon2xxAck, serializeMessage, type SipRequest, type SipResponse } from '@callctl/sip';
import {
  startIct,
  stepIct,
  type IctEffect,
  type IctEvent,
  type IctState,
} from '../transaction/invite-client.js';
import { startIst, stepIst, type IstEvent, type IstState } from '../transaction/invite-server.js';
import { startNict, stepNict, type NictEvent, type NictState } from '../transaction/non-invite-client.js';
import { startNist, stepNist, type NistEvent, type NistState } from '../transaction/non-invite-server.js';
import type { Effect, TimerConfig, TimerName } from '../transaction/timers.js';
import type { Flow } from './addressing.js';
import type { Clock, Timer } from './runtime.js';

export interface TransactionContext {
  clock: Clock;
  timers: TimerConfig;
  log: Logger;
  /** Writes to the wire (traced). Rejects on transport failure. */
  send(flow: Flow, data: Buffer): Promise<void>;
}

/** Timers of the shell itself: RFC 6026 Accepted state of an INVITE server transaction after a 2xx. */
type ShellTimer = TimerName | 'L' | 'retransmit2xx';

class TimerSet {
  private readonly running = new Map<ShellTimer, Timer>();
  constructor(private readonly clock: Clock) {}
  start(name: ShellTimer, ms: number, fire: () => void): void {
    this.running.get(name)?.cancel();
    this.running.set(
      name,
      this.clock.after(ms, () => {
        this.running.delete(name);
        fire();
      }),
    );
  }
  stop(name: ShellTimer): void {
    this.running.get(name)?.cancel();
    this.running.delete(name);
  }
  stopAll(): void {
    for (const timer of this.running.values()) timer.cancel();
    this.running.clear();
  }
}

/** What both kinds share: the effect loop, timers driven by the machine, a single end. */
abstract class TransactionShell<E> {
  protected readonly timers: TimerSet;
  private ended = false;

  constructor(protected readonly ctx: TransactionContext) {
    this.timers = new TimerSet(ctx.clock);
  }

  get terminated(): boolean {
    return this.ended;
  }

  /** Ends the transaction at once: timers stopped, the owner told to drop its table entries. */
  terminate(): void {
    if (this.ended) return;
    this.ended = true;
    this.timers.stopAll();
    this.onEnd();
  }

  protected abstract onEnd(): void;
  /** One step of the pure machine: new state kept by the subclass, effects returned. */
  protected abstract transition(event: E): IctEffect[];
  /** Effects other than timers. */
  protected abstract apply(effect: IctEffect): void;

  protected step(event: E): void {
    if (this.ended) return;
    this.runEffects(this.transition(event));
  }

  protected runEffects(effects: IctEffect[]): void {
    for (const effect of effects) {
      if (effect.type === 'startTimer') {
        const timer = effect.timer;
        this.timers.start(timer, effect.ms, () => this.step({ type: 'timer', timer } as E));
      } else if (effect.type === 'stopTimer') {
        this.timers.stop(effect.timer);
      } else {
        this.apply(effect);
      }
    }
  }
}

export interface ServerTransactionHooks {
  /** The transaction is over: drop every table entry pointing at it. */
  onTerminated(txn: ServerTransaction): void;
  /** A 2xx to INVITE was never ACKed within 64*T1 (the dialog core sends BYE). */
  onAckTimeout(txn: ServerTransaction): void;
}

/**
 * RFC 3261 §17.2 server transaction (INVITE or non-INVITE) plus the RFC 6026 Accepted state for INVITE:
 * after a 2xx the shell retransmits it (UDP, T1 doubling to T2) until the ACK arrives, absorbs INVITE
 * retransmissions for 64*T1, and reports a missing ACK.
 */
export class ServerTransaction extends TransactionShell<IstEvent | NistEvent> {
  readonly invite: boolean;
  private state: IstState | NistState;
  private last: Buffer | undefined;
  /** Highest status sent so far (0 = none). */
  status = 0;
  accepted = false;
  acked = false;
  /**
   * Set when the engine proxies the request: a 2xx from downstream is passed up once and never
   * retransmitted here (the UAS does that end to end), and no ACK is waited for.
   */
  proxied = false;

  constructor(
    ctx: TransactionContext,
    readonly request: SipRequest,
    readonly flow: Flow,
    readonly key: string,
    private readonly hooks: ServerTransactionHooks,
  ) {
    super(ctx);
    this.invite = request.method === 'INVITE';
    const [state] = this.invite ? startIst(flow.transport.reliable) : startNist(flow.transport.reliable);
    this.state = state;
  }

  get final(): boolean {
    return this.status >= 200;
  }

  /** The same request arrived again. */
  retransmission(): void {
    if (this.accepted) {
      if (!this.acked && !this.proxied && this.last) this.write(this.last);
      return;
    }
    this.step({ type: 'request' });
  }

  /** ACK matching this INVITE transaction (non-2xx final: same branch). */
  ack(): void {
    if (this.invite && !this.accepted) this.step({ type: 'ack' });
  }

  /** ACK for our 2xx, matched by the dialog (it has its own branch). */
  ackFor2xx(): void {
    if (!this.accepted || this.acked) return;
    this.acked = true;
    this.timers.stop('retransmit2xx');
    // Only INVITE retransmissions are absorbed from now on (RFC 6026): the 2xx is not needed any more.
    this.last = undefined;
  }

  respond(response: SipResponse, bytes: Buffer): void {
    this.last = bytes;
    this.status = Math.max(this.status, response.status);
    this.step({ type: 'tuResponse', status: response.status });
  }

  protected onEnd(): void {
    this.hooks.onTerminated(this);
  }

  protected transition(event: IstEvent | NistEvent): Effect[] {
    const [state, effects] = this.invite
      ? stepIst(this.state as IstState, event as IstEvent, this.ctx.timers)
      : stepNist(this.state as NistState, event as NistEvent, this.ctx.timers);
    this.state = state;
    return effects;
  }

  protected apply(effect: IctEffect): void {
    if (effect.type === 'send' && this.last) this.write(this.last);
    else if (effect.type === 'terminated') {
      if (this.invite && this.status >= 200 && this.status < 300) this.enterAccepted();
      else this.terminate();
    }
  }

  private enterAccepted(): void {
    this.accepted = true;
    const { t1Ms, t2Ms } = this.ctx.timers;
    if (!this.flow.transport.reliable && !this.proxied) {
      const retransmit = (interval: number) =>
        this.timers.start('retransmit2xx', interval, () => {
          if (this.last) this.write(this.last);
          retransmit(Math.min(2 * interval, t2Ms));
        });
      retransmit(t1Ms);
    }
    this.timers.start('L', 64 * t1Ms, () => {
      if (!this.acked && !this.proxied) this.hooks.onAckTimeout(this);
      this.terminate();
    });
  }

  private write(bytes: Buffer): void {
    this.ctx.send(this.flow, bytes).catch((err: unknown) => this.ctx.log.debug({ err }, 'response not sent'));
  }
}

export interface ClientTransactionHooks {
  /** A response for the TU (100s included; the engine decides what to pass up). */
  onResponse(txn: ClientTransaction, response: SipResponse): void;
  /** Timer B/F fired, or the transport failed: the engine reports a local 408/503. */
  onFailure(txn: ClientTransaction, status: 408 | 503): void;
  onTerminated(txn: ClientTransaction): void;
}

/** RFC 3261 §17.1 client transaction (INVITE or non-INVITE). Sends the ACK for a non-2xx itself. */
export class ClientTransaction extends TransactionShell<IctEvent | NictEvent> {
  readonly invite: boolean;
  private state: IctState | NictState = { status: 'terminated' };
  private lastResponse: SipResponse | undefined;
  private ackBytes: Buffer | undefined;
  /** Highest status received so far (0 = none). */
  status = 0;

  constructor(
    ctx: TransactionContext,
    readonly request: SipRequest,
    readonly bytes: Buffer,
    readonly flow: Flow,
    readonly key: string,
    private readonly hooks: ClientTransactionHooks,
  ) {
    super(ctx);
    this.invite = request.method === 'INVITE';
  }

  start(): void {
    const reliable = this.flow.transport.reliable;
    const [state, effects] = this.invite
      ? startIct(this.ctx.timers, reliable)
      : startNict(this.ctx.timers, reliable);
    this.state = state;
    this.runEffects(effects);
  }

  receive(response: SipResponse): void {
    this.lastResponse = response;
    if (response.status > this.status) this.status = response.status;
    this.step({ type: 'response', status: response.status });
  }

  protected onEnd(): void {
    this.hooks.onTerminated(this);
  }

  protected transition(event: IctEvent | NictEvent): IctEffect[] {
    const [state, effects] = this.invite
      ? stepIct(this.state as IctState, event as IctEvent, this.ctx.timers)
      : stepNict(this.state as NictState, event as NictEvent, this.ctx.timers);
    this.state = state;
    return effects;
  }

  protected apply(effect: IctEffect): void {
    switch (effect.type) {
      case 'send':
        this.write(this.bytes);
        break;
      case 'ack':
        if (this.lastResponse) {
          this.ackBytes ??= serializeMessage(buildNon2xxAck(this.request, this.lastResponse));
          this.write(this.ackBytes);
        }
        break;
      case 'deliver':
        if (this.lastResponse) this.hooks.onResponse(this, this.lastResponse);
        break;
      case 'timeout':
        this.hooks.onFailure(this, 408);
        break;
      case 'terminated':
        this.terminate();
        break;
    }
  }

  private write(bytes: Buffer): void {
    this.ctx.send(this.flow, bytes).catch((err: unknown) => {
      // A failed retransmission or ACK after the final response changes nothing for the TU.
      if (this.terminated || this.status >= 200) return;
      this.ctx.log.debug({ err }, 'request not sent');
      try {
        this.hooks.onFailure(this, 503);
        this.terminate();
      } catch (failure) {
        // A promise callback: a throw here would be an unhandled rejection, which ends the process.
        this.ctx.log.error({ err: failure }, 'transport failure handling failed');
      }
    });
  }
}
