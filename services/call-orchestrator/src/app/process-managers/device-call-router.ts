// The device-call process manager (DEVICE_CALL_ROUTING=platform): a device's call is routed by the platform
// itself, as device-call-steps.ts describes. It follows the decisions as they are recorded (the caller's
// LegInitiated, either leg's LegEnded) and, at start and at each resync, goes over every active call, so a
// call whose step was due while no orchestrator ran (or whose instance died) is carried on from the log.
// Each step is a command with its own guard (CommandContext.appliesTo) and is idempotent: the Dial under a
// key derived from the caller's leg, a rejection or hang-up of a leg that has ended records nothing.
import type { Logger } from '@callctl/logging';
import { callEvents } from '@callctl/proto';
import { KeyedQueue } from '@callctl/service';
import type { CallCommand } from '../../domain/call.commands.js';
import type { CallEvent } from '../../domain/call.events.js';
import type { CallState } from '../../domain/call.state.js';
import type { SendCommand } from '../handle-command.js';
import type { Clock, IdSource } from '../ports.js';
import { DEFAULT_RING_TIMEOUT_MS } from '../command-effects.js';
import { deviceCallSteps, deviceDialKey, type DeviceCallStep } from './device-call-steps.js';

export interface DeviceCallRouterOptions {
  send: SendCommand;
  /** The call as recorded. */
  load: (callId: string) => Promise<CallState>;
  clock: Clock;
  ids: IdSource;
  log: Logger;
  /** How long the callee may ring. @default DEFAULT_RING_TIMEOUT_MS */
  ringTimeoutMs?: number;
}

/** Events after which a device call may have a step due. */
const TRIGGERS: ReadonlySet<CallEvent['type']> = new Set(['LegInitiated', 'LegEnded']);

const sameStep = (a: DeviceCallStep, b: DeviceCallStep): boolean =>
  a.kind === b.kind && a.callerLegId === b.callerLegId;

export class DeviceCallRouter {
  private readonly queue = new KeyedQueue();
  /** Calls with a drive queued and not begun: a second trigger meanwhile is covered by it. */
  private readonly queued = new Set<string>();
  private closed = false;

  constructor(private readonly o: DeviceCallRouterOptions) {}

  /** After a decision is recorded: a call it gave a step is driven (in the background). */
  onRecorded(callId: string, state: CallState, events: readonly CallEvent[]): void {
    if (!events.some((e) => TRIGGERS.has(e.type))) return;
    if (deviceCallSteps(state).length > 0) void this.drive(callId);
  }

  /** At start and at each resync: every call of these with a step due; resolves with how many. */
  async redrive(
    callIds: readonly string[],
    stateOf: (callId: string) => CallState | undefined,
  ): Promise<number> {
    const due = callIds.filter((callId) => deviceCallSteps(stateOf(callId) ?? { status: 'none' }).length > 0);
    for (const callId of due) await this.drive(callId);
    return due.length;
  }

  close(): void {
    this.closed = true;
  }

  /**
   * One drive of a call at a time, on its state as recorded when the drive begins. Never rejects: a call
   * that cannot be read now is driven again by the next trigger or the resync.
   */
  drive(callId: string): Promise<void> {
    if (this.queued.has(callId)) return Promise.resolve();
    this.queued.add(callId);
    return this.queue.run(callId, async () => {
      this.queued.delete(callId);
      if (this.closed) return;
      let state: CallState;
      try {
        state = await this.o.load(callId);
      } catch (error) {
        this.o.log.warn({ callId, err: error }, 'device call not read; its steps wait for the resync');
        return;
      }
      for (const step of deviceCallSteps(state)) await this.take(callId, step);
    });
  }

  private async take(callId: string, step: DeviceCallStep): Promise<void> {
    const log = this.o.log.child({ callId, legId: step.callerLegId, step: step.kind });
    try {
      await this.o.send(callId, this.commandOf(callId, step), {
        causationId: `device-call:${step.callerLegId}`,
        startsTrace: true,
        // Another instance, the application or the far end may have moved the call on meanwhile.
        appliesTo: (state) => deviceCallSteps(state).some((due) => sameStep(due, step)),
      });
      log.info('device call step taken');
    } catch (error) {
      // The next trigger or the resync tries again; a Dial whose INVITE was not sent ended its leg, and the
      // caller is refused on the next drive.
      log.warn({ err: error }, 'device call step failed');
    }
  }

  private commandOf(callId: string, step: DeviceCallStep): CallCommand {
    const now = this.o.clock();
    switch (step.kind) {
      case 'dial': {
        const key = deviceDialKey(step.callerLegId);
        return {
          type: 'Dial',
          data: {
            bridgeWithLegId: step.callerLegId,
            toUri: step.toUri,
            fromUri: step.fromUri,
            ringTimeoutMs: this.o.ringTimeoutMs ?? DEFAULT_RING_TIMEOUT_MS,
          },
          // The leg id derives from the key: a retry after a crash asks for the same leg.
          metadata: { now, newId: this.o.ids.fromName(callId, 'dial', key), idempotencyKey: key },
        };
      }
      case 'rejectCaller':
        return {
          type: 'RejectLeg',
          data: {
            legId: step.callerLegId,
            sipStatus: step.sipStatus,
            reason: step.reason,
            cause: step.cause,
          },
          metadata: { now, newId: this.o.ids.next() },
        };
      case 'hangupCallee':
        return {
          type: 'Hangup',
          data: {
            legId: step.calleeLegId,
            cause: callEvents.EndCause.END_CAUSE_BRIDGE_PEER_ENDED,
            reason: `caller ${step.callerLegId} ended before the two were bridged`,
          },
          metadata: { now, newId: this.o.ids.next() },
        };
    }
  }
}
