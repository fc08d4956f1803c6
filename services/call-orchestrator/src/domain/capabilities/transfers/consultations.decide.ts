// Attended transfer driven by the API: StartConsultation holds the transferee A (taken out of its bridge
// with the transferor B, music to it) and dials the target C; C's answer bridges B with C
// (ConsultationStarted, by the transfer process manager's ContinueTransfer). CompleteTransfer releases B and
// bridges A with C; CancelConsultation (or C failing, or a party leaving) hangs C up, resumes A and bridges
// it with B again. Each ends with ConsultationEnded, after TransferCompleted or TransferFailed.
import { callEvents } from '@callctl/proto';
import type { CallEvent } from '../../call.events';
import { answeredLeg, leg, replay, type Active, type Cmd, type Decision } from '../../call.guards';
import { IllegalStateError } from '../../errors';
import type { DecideContext } from '../capability';
import { joinLegs } from '../bridges/bridges.decide';
import { legHeldEvent, legResumedEvent } from '../holds/hold-events';
import { isAttended, openTransferOf, transferFingerprint, type Transfer } from './transfers.state';
import {
  DEFAULT_TRANSFER_RING_MS,
  requestTarget,
  failed,
  peerOf,
  platformUri,
  requested,
  targetUriOf,
  transferOf,
  up,
  type AnsweredLeg,
} from './transfers.decide';

const {
  BridgeEndReason,
  ConsultationOutcome,
  EndCause,
  Initiator,
  TransferFailureCause,
  TransferKind,
  TransferMode,
} = callEvents;
const none: Decision = { events: [] };

/** Events in order, each folded into the call as it is added (the next one is decided on the result). */
class Steps {
  readonly events: CallEvent[] = [];
  constructor(
    public at: Active,
    private readonly ctx: DecideContext,
  ) {}
  push(...evs: readonly CallEvent[]): this {
    for (const e of evs) {
      this.events.push(e);
      this.at = this.ctx.evolve(this.at, e) as Active;
    }
    return this;
  }
}

const bridgeEnded = (
  s: Active,
  bridgeId: string,
  reason: callEvents.BridgeEndReason,
  transferId: string,
): CallEvent => ({
  type: 'BridgeEnded',
  data: { callId: s.callId, clientState: s.clientState, bridgeId, endedLegId: '', reason, transferId },
});

const consultationEnded = (s: Active, t: Transfer, outcome: callEvents.ConsultationOutcome): CallEvent => ({
  type: 'ConsultationEnded',
  data: { callId: s.callId, clientState: s.clientState, transferId: t.transferId, outcome },
});

export const startConsultation = (s: Active, c: Cmd<'StartConsultation'>, ctx: DecideContext): Decision => {
  const d = c.data;
  const l = leg(s, d.heldLegId);
  const b = peerOf(s, l);
  // A retry finds A apart from B already: the From it defaulted to is the recorded one.
  const seen = c.metadata.idempotencyKey ? s.idempotency[c.metadata.idempotencyKey] : undefined;
  const before = seen ? s.transfers[seen.resultId] : undefined;
  const asked = {
    kind: TransferKind.TRANSFER_KIND_ATTENDED,
    mode: TransferMode.TRANSFER_MODE_BRIDGE,
    transfereeLegId: l.legId,
    targetUri: targetUriOf(d.targetUri, l, s.callId),
    fromUri: d.fromUri || before?.fromUri || (b ? platformUri(b) : ''),
    timeoutMs: d.ringTimeoutMs || DEFAULT_TRANSFER_RING_MS,
    releaseOnFailure: false,
  };
  const again = replay(s, c.metadata.idempotencyKey, transferFingerprint(asked));
  if (again) return again;
  const a = answeredLeg(s, l.legId, 'be held for a consultation');
  const why = { callId: s.callId, legId: a.legId };
  if (a.role) throw new IllegalStateError(`leg ${a.legId} is not a party leg`, why);
  if (!a.bridgeId || !up(b))
    throw new IllegalStateError(`leg ${a.legId} is bridged with nobody: there is no transferor`, why);
  if (openTransferOf(s, a.legId) || openTransferOf(s, b.legId))
    throw new IllegalStateError(`a transfer or consultation of leg ${a.legId} runs already`, why);
  if (a.hold) throw new IllegalStateError(`leg ${a.legId} is on hold`, why);
  const transferId = c.metadata.newId;
  const steps = new Steps(s, ctx).push(
    requested(s, {
      transferId,
      ...asked,
      by: Initiator.INITIATOR_API,
      transferorLegId: b.legId,
      targetLegId: d.consultationLegId,
      referredBy: '',
      replacesCallId: '',
      replacesLegId: '',
      awaitingDecision: false,
      decisionDeadlineMs: 0,
      idempotencyKey: c.metadata.idempotencyKey ?? '',
    }),
    // The media moves (UnbridgeLegs) before the append, which amends this event with where it went.
    bridgeEnded(s, a.bridgeId, BridgeEndReason.BRIDGE_END_REASON_CONSULTATION, transferId),
    legHeldEvent(s, a.legId, { by: Initiator.INITIATOR_API, musicUri: d.musicUri, transferId }),
  );
  const dialled = requestTarget(steps.at, steps.at.transfers[transferId]!, c.metadata.now);
  steps.push(dialled.event);
  return { events: steps.events, resultId: transferId, deadlines: dialled.deadlines };
};

/** The consultation's target answered (ContinueTransfer): the transferor talks with it. */
export function consultationStep(
  s: Active,
  t: Transfer,
  c: { metadata: { now: number; newId: string } },
  ctx: DecideContext,
): Decision {
  const b = s.legs[t.transferorLegId];
  const target = s.legs[t.targetLegId];
  if (t.consultation || !up(b) || !up(target) || b.bridgeId || target.bridgeId) return none;
  const joined = joinLegs(s, b, target, { bridgeId: c.metadata.newId, key: '' }, c, ctx);
  return {
    events: [
      ...joined.events,
      {
        type: 'ConsultationStarted',
        data: {
          callId: s.callId,
          clientState: s.clientState,
          transferId: t.transferId,
          heldLegId: t.transfereeLegId,
          transferorLegId: t.transferorLegId,
          consultationLegId: t.targetLegId,
        },
      },
    ],
    deadlines: joined.deadlines,
  };
}

function consultationTransfer(s: Active, transferId: string): Transfer {
  const t = transferOf(s, transferId);
  if (!isAttended(t) || t.by !== Initiator.INITIATOR_API || t.consultation === 'ended')
    throw new IllegalStateError(`transfer ${transferId} has no running consultation`, { callId: s.callId });
  return t;
}

export const completeTransfer = (s: Active, c: Cmd<'CompleteTransfer'>, ctx: DecideContext): Decision => {
  const t = consultationTransfer(s, c.data.transferId);
  const a = s.legs[t.transfereeLegId];
  const b = s.legs[t.transferorLegId];
  const target = s.legs[t.targetLegId];
  if (t.consultation !== 'started' || t.status !== 'connecting' || !up(a) || !up(target))
    throw new IllegalStateError(`transfer ${t.transferId}: its consultation target has not answered`, {
      callId: s.callId,
    });
  const steps = new Steps(s, ctx);
  if (target.bridgeId)
    steps.push(bridgeEnded(s, target.bridgeId, BridgeEndReason.BRIDGE_END_REASON_TRANSFER, t.transferId));
  if (b && b.status !== 'ended')
    steps.push(
      ...ctx.endLeg(
        steps.at,
        steps.at.legs[b.legId]!,
        EndCause.END_CAUSE_TRANSFERRED,
        0,
        `transferred (${t.transferId})`,
      ),
    );
  steps.push(legResumedEvent(s, a.legId, { by: Initiator.INITIATOR_API, transferId: t.transferId }));
  const joined = joinLegs(
    steps.at,
    steps.at.legs[a.legId] as AnsweredLeg,
    steps.at.legs[target.legId] as AnsweredLeg,
    { bridgeId: c.metadata.newId, key: '' },
    c,
    ctx,
  );
  steps.push(...joined.events, {
    type: 'TransferCompleted',
    data: {
      callId: s.callId,
      clientState: s.clientState,
      transferId: t.transferId,
      transfereeLegId: a.legId,
      targetLegId: target.legId,
    },
  });
  steps.push(consultationEnded(s, t, ConsultationOutcome.CONSULTATION_OUTCOME_TRANSFERRED));
  return { events: steps.events, deadlines: joined.deadlines };
};

export const cancelConsultation = (s: Active, c: Cmd<'CancelConsultation'>, ctx: DecideContext): Decision => {
  const t = consultationTransfer(s, c.data.transferId);
  const steps = new Steps(s, ctx);
  if (t.status !== 'failed')
    steps.push(
      failed(s, t, TransferFailureCause.TRANSFER_FAILURE_CAUSE_CANCELLED, 0, 'consultation cancelled'),
    );
  steps.push(...rollBack(steps.at, steps.at.transfers[t.transferId]!, c, ctx));
  return { events: steps.events };
};

/** Why a failed consultation ended, from why its transfer failed. */
function outcomeOf(t: Transfer): callEvents.ConsultationOutcome {
  switch (t.failureCause) {
    case TransferFailureCause.TRANSFER_FAILURE_CAUSE_CANCELLED:
      return ConsultationOutcome.CONSULTATION_OUTCOME_CANCELLED;
    case TransferFailureCause.TRANSFER_FAILURE_CAUSE_PARTY_ENDED:
      return ConsultationOutcome.CONSULTATION_OUTCOME_PARTY_ENDED;
    default:
      // The target hung up once it talked: a party left. Before: it never answered (or the platform failed).
      return t.consultation === 'started'
        ? ConsultationOutcome.CONSULTATION_OUTCOME_PARTY_ENDED
        : ConsultationOutcome.CONSULTATION_OUTCOME_TARGET_FAILED;
  }
}

/**
 * A failed consultation is undone as far as its parties allow: the target hung up (unless it talks with
 * the transferor, whom the held party left), the held party resumed and bridged with its transferor again,
 * then ConsultationEnded. A held party whose transferor left is hung up (the pair ends together).
 */
export function rollBack(
  s: Active,
  t: Transfer,
  c: { metadata: { now: number; newId: string } },
  ctx: DecideContext,
): CallEvent[] {
  if (t.consultation === 'ended') return [];
  const steps = new Steps(s, ctx);
  const why = `consultation ${t.transferId} ended`;
  const target = s.legs[t.targetLegId];
  const a = s.legs[t.transfereeLegId];
  // The target goes, unless the held party left and it talks with the transferor: those two go on.
  const talking = target?.status === 'answered' && !!target.bridgeId;
  if (target && target.status !== 'ended' && (up(a) || !talking))
    steps.push(...ctx.endLeg(steps.at, target, EndCause.END_CAUSE_LOCAL_HANGUP, 0, why));
  if (steps.at.status !== 'active') return steps.events;
  const held = steps.at.legs[t.transfereeLegId];
  const b = steps.at.legs[t.transferorLegId];
  if (up(held) && held.hold?.transferId === t.transferId)
    steps.push(
      legResumedEvent(steps.at, held.legId, { by: Initiator.INITIATOR_API, transferId: t.transferId }),
    );
  const heldNow = steps.at.legs[t.transfereeLegId];
  if (up(heldNow) && up(b) && !heldNow.bridgeId && !b.bridgeId)
    steps.push(...joinLegs(steps.at, heldNow, b, { bridgeId: c.metadata.newId, key: '' }, c, ctx).events);
  else if (up(heldNow) && !heldNow.bridgeId && !up(b))
    steps.push(...ctx.endLeg(steps.at, heldNow, EndCause.END_CAUSE_BRIDGE_PEER_ENDED, 0, why));
  if (steps.at.status === 'active') steps.push(consultationEnded(steps.at, t, outcomeOf(t)));
  return steps.events;
}

/** sip-edge took two bridged legs apart (a consultation whose own append was lost records it this way). */
export const recordLegsUnbridged = (s: Active, c: Cmd<'RecordLegsUnbridged'>): Decision => {
  const d = c.data;
  const br = Object.values(s.bridges).find(
    (b) =>
      b.status === 'active' &&
      ((b.legAId === d.legAId && b.legBId === d.legBId) || (b.legAId === d.legBId && b.legBId === d.legAId)),
  );
  if (!br) return none;
  const mediaOf = (legId: string) => (legId === d.legAId ? d.mediaA : d.mediaB);
  const ended = bridgeEnded(s, br.bridgeId, BridgeEndReason.BRIDGE_END_REASON_CONSULTATION, '');
  const media = { legAMedia: mediaOf(br.legAId), legBMedia: mediaOf(br.legBId) };
  return {
    events: [
      {
        ...ended,
        data: {
          ...(ended.data as callEvents.BridgeEnded),
          ...(media.legAMedia ? { legAMedia: media.legAMedia } : {}),
          ...(media.legBMedia ? { legBMedia: media.legBMedia } : {}),
        },
      } as CallEvent,
    ],
  };
};
