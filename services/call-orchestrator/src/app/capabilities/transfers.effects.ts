// Transfers on the wire:
// - The target's INVITE (BRIDGE, a phone's REFER accepted) is placed after the append, as Dial's; one that
//   cannot be sent ends the target leg, hence the transfer (TransferFailed).
// - REFER mode: the REFER is sent after TransferRequested is recorded (its NOTIFYs come back as facts that
//   must find the transfer); the phone's refusal fails the transfer (REFER_REJECTED), another failure ends
//   it as PLATFORM_FAILURE (ContinueTransfer abort).
// - ContinueTransfer (the move once the target answered) acts before its append, as Hangup and BridgeLegs
//   do: the phone that asked for the transfer is told 200 (NOTIFY) before its leg is released, then the
//   transferor is hung up, then the transferee and the target are bridged. A failure records nothing; the
//   process manager (process-managers/transfer-driver.ts) aborts the transfer then.
// - A phone's REFER is told how it goes (NotifyRefer) after the append of any decision with its progress or
//   failure: those are recorded facts, so a NOTIFY that cannot be sent is logged, never fails the command.
import { callEvents } from '@callctl/proto';
import type { CallCommand } from '../../domain/call.commands.js';
import type { Decision } from '../../domain/call.guards.js';
import type { CallState } from '../../domain/call.state.js';
import { referOf } from '../../domain/capabilities/transfers/transfers.state.js';
import { isPeerError, PEER_ERROR_CODES } from '../errors.js';
import { joinBridgedLegs } from './bridges.effects.js';
import type { CapabilityEffects, EffectPorts, EventAmendment, EventsEffect } from './effects.js';
import { active } from '../../domain/call.guards.js';
import { foldEvents } from '../../domain/call.state.js';
import { holdMedia, resumeMedia } from '../hold-media.js';
import { hangupEndedLegs, inviteNotSent, placeRequestedLegs } from './legs.effects.js';

const { TransferFailureCause } = callEvents;

const isTargetDial = (e: Decision['events'][number]) => e.type === 'DialRequested' && !!e.data.transferId;

/** The target leg whose INVITE could not be sent ends (and the transfer fails with it). */
function targetNotDialled(command: CallCommand, decision: Decision, error: unknown) {
  const dialled = decision.events.find(isTargetDial);
  return dialled?.type === 'DialRequested'
    ? inviteNotSent(command, { ...decision, resultId: dialled.data.legId }, error)
    : undefined;
}

const placeTarget = (ports: EffectPorts, callId: string, decision: Decision) =>
  placeRequestedLegs(ports, callId, decision, isTargetDial);

/** The final status a failed transfer's NOTIFY carries to the phone that asked for it. */
export function notifyStatusOf(failed: callEvents.TransferFailed): number {
  if (failed.sipStatus >= 300) return failed.sipStatus;
  switch (failed.cause) {
    case TransferFailureCause.TRANSFER_FAILURE_CAUSE_TARGET_NO_ANSWER:
      return 408;
    case TransferFailureCause.TRANSFER_FAILURE_CAUSE_TARGET_BUSY:
      return 486;
    case TransferFailureCause.TRANSFER_FAILURE_CAUSE_PARTY_ENDED:
      return 487;
    case TransferFailureCause.TRANSFER_FAILURE_CAUSE_DECLINED:
      return 603;
    default:
      return 503;
  }
}

/** The phone's REFER a transfer carries out, as recorded in `state`, or undefined for other transfers. */
function referOfTransfer(state: CallState, transferId: string) {
  const t = state.status === 'none' ? undefined : state.transfers[transferId];
  return t ? referOf(t) : undefined;
}

/** NOTIFYs for the progress and failures of phones' REFERs in a recorded decision (see the file comment). */
export const transfersAfterEvents: EventsEffect = async (ports, callId, command, decision, state) => {
  for (const e of decision.events) {
    const notify =
      e.type === 'TransferProgress' && e.data.sipStatus < 200
        ? { transferId: e.data.transferId, sipStatus: e.data.sipStatus, reason: e.data.reason }
        : e.type === 'TransferFailed'
          ? { transferId: e.data.transferId, sipStatus: notifyStatusOf(e.data), reason: '' }
          : undefined;
    if (!notify) continue;
    // The transfer may be recorded by this very decision (a REFER declined at once).
    const requested = decision.events.find(
      (r) => r.type === 'TransferRequested' && r.data.transferId === notify.transferId,
    );
    const refer =
      requested?.type === 'TransferRequested'
        ? referOf(requested.data)
        : referOfTransfer(state, notify.transferId);
    if (!refer) continue;
    await ports.sipEdge
      .notifyRefer(callId, refer.legId, refer.referId, notify.sipStatus, notify.reason)
      .catch((error: unknown) =>
        ports.log?.warn(
          { callId, command: command.type, err: error, transferId: notify.transferId },
          'NOTIFY of a REFER not sent',
        ),
      );
  }
};

/**
 * Moves the legs a transfer step decided, before its append: the phone that asked for the transfer hears
 * its REFER succeeded (NOTIFY 200) while its dialog is still up, then the legs that end are hung up, a held
 * party resumed (its music stopped, re-INVITEd sendrecv), and the new bridge joined.
 */
async function moveLegs(
  ports: EffectPorts,
  callId: string,
  _command: CallCommand,
  decision: Decision,
  state: CallState,
): Promise<EventAmendment | void> {
  for (const e of decision.events) {
    const refer = e.type === 'TransferCompleted' ? referOfTransfer(state, e.data.transferId) : undefined;
    if (refer)
      await ports.sipEdge
        .notifyRefer(callId, refer.legId, refer.referId, 200, 'OK')
        .catch((error: unknown) => ports.log?.warn({ callId, err: error }, 'NOTIFY 200 of a REFER not sent'));
  }
  await hangupEndedLegs(ports, callId, decision, 'transferred');
  // The music and blocks are the media-worker's: one that cannot stop them still leaves the phone
  // re-INVITEd sendrecv (the new bridge moves its media anyway); a refused re-INVITE fails the step.
  for (const e of decision.events)
    if (e.type === 'LegResumed')
      await resumeMedia(ports, active(state), e.data.legId).catch(async (error: unknown) => {
        ports.log?.warn(
          { callId, legId: e.data.legId, err: error },
          'hold music of a consultation not stopped',
        );
        await ports.sipEdge.setLegDirection(callId, e.data.legId, 'sendrecv');
      });
  return joinBridgedLegs(ports, callId, decision);
}

export const transfersEffects: CapabilityEffects = {
  name: 'transfers',
  effects: {
    TransferLeg: {
      after: async (ports, callId, command, decision) => {
        await placeTarget(ports, callId, decision);
        for (const e of decision.events)
          if (e.type === 'TransferRequested' && e.data.mode === callEvents.TransferMode.TRANSFER_MODE_REFER)
            await ports.sipEdge.referLeg({
              callId,
              legId: e.data.transfereeLegId,
              transferId: e.data.transferId,
              referTo: e.data.targetUri,
              referredBy: e.data.referredBy,
              timeoutMs: e.data.timeoutMs,
            });
      },
      afterFailed: (command, decision, error) => {
        const dialled = targetNotDialled(command, decision, error);
        if (dialled) return dialled;
        const transferId = decision.resultId ?? '';
        const reason = error instanceof Error ? error.message : String(error);
        // The phone refused the REFER; anything else is the platform's failure.
        return isPeerError(error, PEER_ERROR_CODES.illegalState)
          ? {
              type: 'RecordReferProgress',
              data: { transferId, sipStatus: 0, reason, final: true },
              metadata: command.metadata,
            }
          : { type: 'ContinueTransfer', data: { transferId, abort: reason }, metadata: command.metadata };
      },
    },
    DecideTransfer: {
      after: (ports, callId, _command, decision) => placeTarget(ports, callId, decision),
      afterFailed: targetNotDialled,
    },
    RecordReferReceived: {
      after: (ports, callId, _command, decision) => placeTarget(ports, callId, decision),
      afterFailed: targetNotDialled,
    },
    ContinueTransfer: { before: moveLegs },
    CompleteTransfer: { before: moveLegs },
    CancelConsultation: { before: moveLegs },
    StartConsultation: {
      // A and B are taken apart (each in a session of its own, A answered sendonly) before the append,
      // which records where their media went; then A is held (re-INVITE sendonly, music), and the target's
      // INVITE follows the append. Music that cannot play is logged: the consultation goes on without it.
      before: async (ports, callId, _command, decision, state) => {
        const requested = decision.events.find((e) => e.type === 'TransferRequested');
        const held = decision.events.find((e) => e.type === 'LegHeld');
        if (requested?.type !== 'TransferRequested' || held?.type !== 'LegHeld') return;
        const { transfereeLegId: a, transferorLegId: b } = requested.data;
        const { mediaA, mediaB } = await ports.sipEdge.unbridgeLegs(callId, a, b, { holdA: true });
        const amend: EventAmendment = (event) => {
          if (event.type !== 'BridgeEnded' || state.status === 'none') return event;
          const bridge = state.bridges[event.data.bridgeId];
          const of = (legId: string | undefined) => (legId === a ? mediaA : legId === b ? mediaB : undefined);
          const legAMedia = of(bridge?.legAId);
          const legBMedia = of(bridge?.legBId);
          return {
            ...event,
            data: { ...event.data, ...(legAMedia ? { legAMedia } : {}), ...(legBMedia ? { legBMedia } : {}) },
          };
        };
        const after = foldEvents(decision.events.map(amend), state);
        await holdMedia(ports, active(after), a, {
          ...(held.data.musicUri ? { mediaUri: held.data.musicUri } : {}),
          toPeer: false,
        }).catch((error: unknown) =>
          ports.log?.warn({ callId, legId: a, err: error }, 'hold music of a consultation not played'),
        );
        return amend;
      },
      after: (ports, callId, _command, decision) => placeTarget(ports, callId, decision),
      afterFailed: targetNotDialled,
    },
    // The replaced call gives up its leg (REFER with Replaces, replaces.decide.ts): sip-edge re-homes it
    // before the append (a retry finds it moved, and its facts go to the other call from then on); the
    // replaced leg is hung up after the append, so its BYE's fact finds it ended already and cannot end
    // the moved leg as a bridge peer left alone.
    MoveLegOut: {
      before: async (ports, callId, _command, decision) => {
        for (const e of decision.events)
          if (e.type === 'LegMovedOut') await ports.sipEdge.moveLeg(callId, e.data.legId, e.data.toCallId);
      },
      after: (ports, callId, _command, decision) => hangupEndedLegs(ports, callId, decision, 'replaced'),
    },
    // A final 2xx of the platform's REFER releases the transferee and its peer.
    RecordReferProgress: {
      before: (ports, callId, _command, decision) => hangupEndedLegs(ports, callId, decision, 'transferred'),
    },
  },
  afterEvents: transfersAfterEvents,
};
