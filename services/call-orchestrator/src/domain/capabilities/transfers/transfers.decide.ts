// Transfers: a blind transfer the API asks for (TransferLeg: the platform dials the target itself, BRIDGE,
// or sends the transferee's phone a REFER, REFER mode) and one a phone asks for (its REFER: the platform
// dials the target for it, by policy or once the application decided). Each ends with TransferCompleted or
// TransferFailed. A transfer that dials its target moves on in steps: the target's ring and answer are
// recorded with the target leg's facts (TransferProgress 180, 200); the move itself (release the
// transferor, bridge the transferee with the target) is ContinueTransfer's, which the transfer process
// manager sends once the target answered (app/process-managers/transfer-driver.ts), also after a restart.
import { callEvents } from '@callctl/proto';
import type { CallEvent } from '../../call.events';
import type { CallState, Leg } from '../../call.state';
import {
  active,
  answeredLeg,
  leg,
  replay,
  requestLeg,
  type Active,
  type Cmd,
  type Deadline,
  type Decision,
} from '../../call.guards';
import { IllegalStateError, NotFoundError, ValidationError } from '../../errors';
import type { DecideContext, LegEnd } from '../capability';
import { joinLegs } from '../bridges/bridges.decide';
import { dialTarget as dialledUri } from '../legs/dial-target';
import { consultationStep, rollBack } from './consultations.decide';
import { legResumedEvent } from '../holds/hold-events';
import {
  consults,
  dialsTarget,
  isOpen,
  openTransferOf,
  referKey,
  transferFingerprint,
  type Transfer,
} from './transfers.state';

const {
  BridgeEndReason,
  EndCause,
  Initiator,
  LegDirection,
  TransferFailureCause,
  TransferKind,
  TransferMode,
} = callEvents;
const none: Decision = { events: [] };
/** @default 30000 (TransferLegRequest.timeout_ms 0, BRIDGE) */
export const DEFAULT_TRANSFER_RING_MS = 30_000;
/** @default 60000 (TransferLegRequest.timeout_ms 0, REFER) */
export const DEFAULT_REFER_TIMEOUT_MS = 60_000;
/**
 * REFER mode: how long after the transfer's timeout the orchestrator gives the REFER up by itself, when
 * sip-edge's own 408 at the timeout never came (its backstop, not a race with it).
 */
export const REFER_OUTCOME_BACKSTOP_MS = 10_000;

/** REFER mode: when the transfer is given up without a final outcome from the phone. */
export const referOutcomeDeadline = (
  t: { transferId: string; timeoutMs: number },
  requestedAtMs: number,
): Deadline => ({
  kind: 'referOutcome',
  transferId: t.transferId,
  atMs: requestedAtMs + t.timeoutMs + REFER_OUTCOME_BACKSTOP_MS,
});

export type AnsweredLeg = Extract<Leg, { status: 'answered' }>;
export const up = (l: Leg | undefined): l is AnsweredLeg => l?.status === 'answered';

/** The leg's platform side (what the platform is to its phone) and the phone's own URI. */
export const platformUri = (l: Leg) =>
  l.direction === LegDirection.LEG_DIRECTION_INBOUND ? l.toUri : l.fromUri;
export const phoneUri = (l: Leg) =>
  l.direction === LegDirection.LEG_DIRECTION_INBOUND ? l.fromUri : l.toUri;

/** A sip:/sips: URI, or a number dialled at the host of the leg's platform-side URI. */
export function targetUriOf(target: string, l: Leg, callId: string): string {
  return dialledUri(target, platformUri(l), callId, 'target');
}

/** The leg this one is bridged with now, if any. */
export function peerOf(s: Active, l: Leg): Leg | undefined {
  if (l.status !== 'answered' || !l.bridgeId) return undefined;
  const br = s.bridges[l.bridgeId];
  if (!br) return undefined;
  return s.legs[br.legAId === l.legId ? br.legBId : br.legAId];
}

export function transferOf(s: Active, transferId: string): Transfer {
  const t = s.transfers[transferId];
  if (!t)
    throw new NotFoundError(`transfer ${transferId} does not exist in call ${s.callId}`, {
      callId: s.callId,
    });
  return t;
}

/** Waiting for the application's DecideTransfer: asked, and the target not dialled yet. */
export const awaitingDecision = (s: Active, t: Transfer) =>
  isOpen(t) && t.awaitingDecision && !s.legs[t.targetLegId];

export const requested = (
  s: Active,
  d: Omit<callEvents.TransferRequested, 'callId' | 'clientState'>,
): CallEvent => ({
  type: 'TransferRequested',
  data: { callId: s.callId, clientState: s.clientState, ...d },
});

export const failed = (
  s: Active,
  t: Pick<Transfer, 'transferId'>,
  cause: callEvents.TransferFailureCause,
  sipStatus: number,
  reason: string,
  transfereeReleased = false,
): CallEvent => ({
  type: 'TransferFailed',
  data: {
    callId: s.callId,
    clientState: s.clientState,
    transferId: t.transferId,
    cause,
    sipStatus,
    reason,
    transfereeReleased,
  },
});

export const progress = (s: Active, t: Transfer, sipStatus: number, reason: string): CallEvent => ({
  type: 'TransferProgress',
  data: { callId: s.callId, clientState: s.clientState, transferId: t.transferId, sipStatus, reason },
});

/** The target leg's DialRequested (nothing to bridge with: the move bridges it) and its ring timeout. */
export function requestTarget(
  s: Active,
  t: Transfer,
  now: number,
): { event: CallEvent; deadlines: Deadline[] } {
  return requestLeg(
    {
      callId: s.callId,
      legId: t.targetLegId,
      bridgeWithLegId: '',
      toUri: t.targetUri,
      fromUri: t.fromUri,
      ringTimeoutMs: t.timeoutMs,
      clientState: s.clientState,
      idempotencyKey: '',
      headers: t.referredBy ? { 'Referred-By': t.referredBy } : {},
      transferId: t.transferId,
    },
    now,
  );
}

export const transferLeg = (s: Active, c: Cmd<'TransferLeg'>, ctx: DecideContext): Decision => {
  const d = c.data;
  const l = leg(s, d.legId);
  const mode = d.mode || TransferMode.TRANSFER_MODE_REFER;
  if (mode !== TransferMode.TRANSFER_MODE_REFER && mode !== TransferMode.TRANSFER_MODE_BRIDGE)
    throw new ValidationError(`mode ${d.mode} is not a transfer mode`, { callId: s.callId });
  const bridge = mode === TransferMode.TRANSFER_MODE_BRIDGE;
  const asked = {
    kind: TransferKind.TRANSFER_KIND_BLIND,
    mode,
    transfereeLegId: l.legId,
    targetUri: targetUriOf(d.targetUri, l, s.callId),
    fromUri: bridge ? d.fromUri || phoneUri(l) : '',
    timeoutMs: d.timeoutMs || (bridge ? DEFAULT_TRANSFER_RING_MS : DEFAULT_REFER_TIMEOUT_MS),
    releaseOnFailure: bridge && d.releaseOnFailure,
  };
  const again = replay(s, c.metadata.idempotencyKey, transferFingerprint(asked));
  if (again) return again;
  const a = answeredLeg(s, l.legId, 'be transferred');
  if (a.role)
    throw new IllegalStateError(`leg ${a.legId} is not a party leg: it cannot be transferred`, {
      callId: s.callId,
      legId: a.legId,
    });
  if (openTransferOf(s, a.legId))
    throw new IllegalStateError(`a transfer of leg ${a.legId} runs already`, {
      callId: s.callId,
      legId: a.legId,
    });
  const transferId = c.metadata.newId;
  const event = requested(s, {
    transferId,
    ...asked,
    by: Initiator.INITIATOR_API,
    transferorLegId: peerOf(s, a)?.legId ?? '',
    targetLegId: bridge ? d.targetLegId : '',
    referredBy: '',
    replacesCallId: '',
    replacesLegId: '',
    awaitingDecision: false,
    decisionDeadlineMs: 0,
    idempotencyKey: c.metadata.idempotencyKey ?? '',
  });
  if (!bridge)
    return {
      events: [event],
      resultId: transferId,
      deadlines: [referOutcomeDeadline({ transferId, timeoutMs: asked.timeoutMs }, c.metadata.now)],
    };
  const after = ctx.evolve(s, event) as Active;
  const dialled = requestTarget(after, after.transfers[transferId]!, c.metadata.now);
  return { events: [event, dialled.event], resultId: transferId, deadlines: dialled.deadlines };
};

/**
 * A phone's REFER on leg B (sip-edge answered it 202 and NOTIFY 100): B's bridge peer A is to be moved to
 * the Refer-To target, which the platform dials itself, with Referred-By passed on. By policy at once, or
 * once the application decided (or its deadline applied the default). A B bridged with nobody, or already
 * in a transfer, is declined (NOTIFY 403). A REFER with Replaces naming a leg of another call joins A with
 * that leg's peer (replaces.decide.ts): no target is dialled, and no decision asked for (the phone already
 * talks with both parties); one naming a leg of the same call is declined (501).
 */
export const recordReferReceived = (
  s: Active,
  c: Cmd<'RecordReferReceived'>,
  ctx: DecideContext,
): Decision => {
  const d = c.data;
  const key = referKey(d.legId, d.referId);
  if (s.idempotency[key]) return none; // the fact again
  const b = leg(s, d.legId);
  const a = peerOf(s, b);
  const replaces = d.replacesLegId !== '' || d.replacesCallId !== '';
  const transferId = c.metadata.newId;
  const event = requested(s, {
    transferId,
    kind: replaces ? TransferKind.TRANSFER_KIND_ATTENDED : TransferKind.TRANSFER_KIND_BLIND,
    mode: TransferMode.TRANSFER_MODE_BRIDGE,
    by: Initiator.INITIATOR_REMOTE,
    transfereeLegId: a?.legId ?? '',
    transferorLegId: b.legId,
    targetUri: d.referTo,
    targetLegId: replaces ? '' : `${transferId}-target`,
    referredBy: d.referredBy,
    replacesCallId: d.replacesCallId,
    replacesLegId: d.replacesLegId,
    awaitingDecision: d.policy.ask && !replaces,
    decisionDeadlineMs: d.policy.ask && !replaces ? d.policy.decisionTimeoutMs : 0,
    releaseOnFailure: false,
    fromUri: a ? phoneUri(a) : '',
    timeoutMs: DEFAULT_TRANSFER_RING_MS,
    idempotencyKey: key,
  });
  const decline = (sipStatus: number, why: string): Decision => ({
    events: [
      event,
      failed(s, { transferId }, TransferFailureCause.TRANSFER_FAILURE_CAUSE_DECLINED, sipStatus, why),
    ],
    resultId: transferId,
  });
  if (replaces && (d.replacesCallId === s.callId || !d.replacesCallId || !d.replacesLegId))
    return decline(501, 'REFER with Replaces naming a leg of the same call is not carried out');
  if (!up(a) || a.role) return decline(403, `leg ${b.legId} is bridged with no party to transfer`);
  if (openTransferOf(s, a.legId) || openTransferOf(s, b.legId))
    return decline(403, 'a transfer of these legs runs already');
  // The process manager moves the replaced leg's peer into this call next (replaces.decide.ts).
  if (replaces) return { events: [event], resultId: transferId };
  const after = ctx.evolve(s, event) as Active;
  const t = after.transfers[transferId]!;
  if (d.policy.ask)
    return {
      events: [event],
      resultId: transferId,
      deadlines: [
        { kind: 'transferDecision', transferId, atMs: c.metadata.now + d.policy.decisionTimeoutMs },
      ],
    };
  const dialled = requestTarget(after, t, c.metadata.now);
  return { events: [event, dialled.event], resultId: transferId, deadlines: dialled.deadlines };
};

/** The application's answer to a phone's REFER while the policy is ASK (or its deadline's default). */
export const decideTransfer = (state: CallState, c: Cmd<'DecideTransfer'>): Decision => {
  if (c.data.byDeadline && state.status !== 'active') return none;
  const s = active(state);
  const t = transferOf(s, c.data.transferId);
  if (!awaitingDecision(s, t)) {
    if (c.data.byDeadline) return none; // decided before the deadline
    throw new IllegalStateError(`transfer ${t.transferId} is not waiting for a decision`, {
      callId: s.callId,
    });
  }
  if (!c.data.accept) {
    const sipStatus = c.data.sipStatus || 603;
    if (sipStatus < 400 || sipStatus > 699)
      throw new ValidationError(`sip_status must be 400-699, got ${sipStatus}`, { callId: s.callId });
    const why = c.data.byDeadline ? 'no decision in time: declined by default' : 'declined';
    return {
      events: [failed(s, t, TransferFailureCause.TRANSFER_FAILURE_CAUSE_DECLINED, sipStatus, why)],
    };
  }
  if (!up(s.legs[t.transfereeLegId]))
    return {
      events: [
        failed(s, t, TransferFailureCause.TRANSFER_FAILURE_CAUSE_PARTY_ENDED, 0, 'the transferee has ended'),
      ],
    };
  const dialled = requestTarget(s, t, c.metadata.now);
  return { events: [dialled.event], deadlines: dialled.deadlines };
};

/** Why the target failed, from how its leg ended. */
export function failureCauseOf(end: LegEnd): callEvents.TransferFailureCause {
  const { sipStatus, cause } = end;
  // The dial plan's own verdicts (no route, a user with no registered phone) come first: their 404/480 is
  // the platform's, not a phone that did not answer.
  if (cause === EndCause.END_CAUSE_NO_ROUTE || cause === EndCause.END_CAUSE_NOT_REGISTERED)
    return TransferFailureCause.TRANSFER_FAILURE_CAUSE_TARGET_UNREACHABLE;
  if (cause === EndCause.END_CAUSE_BUSY || sipStatus === 486 || sipStatus === 600)
    return TransferFailureCause.TRANSFER_FAILURE_CAUSE_TARGET_BUSY;
  if (cause === EndCause.END_CAUSE_NO_ANSWER || sipStatus === 408 || sipStatus === 480)
    return TransferFailureCause.TRANSFER_FAILURE_CAUSE_TARGET_NO_ANSWER;
  if (
    cause === EndCause.END_CAUSE_UNREACHABLE ||
    cause === EndCause.END_CAUSE_PLATFORM_FAILURE ||
    sipStatus === 404 ||
    (sipStatus >= 500 && sipStatus < 600)
  )
    return TransferFailureCause.TRANSFER_FAILURE_CAUSE_TARGET_UNREACHABLE;
  return TransferFailureCause.TRANSFER_FAILURE_CAUSE_TARGET_REJECTED;
}

/** The target leg rings: TransferProgress 180. */
export function onLegRinging(s: Active, legId: string): CallEvent[] {
  const t = Object.values(s.transfers).find((o) => o.targetLegId === legId && o.status === 'requested');
  return t && t.lastSipStatus !== 180 ? [progress(s, t, 180, 'Ringing')] : [];
}

/** The target leg answered: TransferProgress 200; the process manager moves the legs next (ContinueTransfer). */
export function onLegAnswered(s: Active, legId: string): Decision {
  const t = Object.values(s.transfers).find((o) => o.targetLegId === legId && o.status === 'requested');
  return t ? { events: [progress(s, t, 200, 'OK')] } : none;
}

/**
 * A leg of a running transfer ended: the target before the move (the transfer fails, the transferee stays
 * where it was, or is released with release_on_failure), or the transferee (PARTY_ENDED). The transferor
 * may leave a blind transfer: the transferee goes to the target all the same.
 */
export function onLegEnded(s: Active, l: Leg, end: LegEnd): CallEvent[] {
  const t = openTransferOf(s, l.legId);
  if (!t) return [];
  if (t.targetLegId === l.legId && dialsTarget(t)) {
    const release = t.releaseOnFailure && up(s.legs[t.transfereeLegId]);
    return [failed(s, t, failureCauseOf(end), end.sipStatus, `the target's leg ended`, release)];
  }
  if (t.transfereeLegId === l.legId)
    return [failed(s, t, TransferFailureCause.TRANSFER_FAILURE_CAUSE_PARTY_ENDED, 0, 'the transferee ended')];
  // A consultation's transferor leaving ends it (the held party goes back to nobody: it is hung up).
  if (t.transferorLegId === l.legId && consults(t) && end.cause !== EndCause.END_CAUSE_TRANSFERRED)
    return [failed(s, t, TransferFailureCause.TRANSFER_FAILURE_CAUSE_PARTY_ENDED, 0, 'the transferor ended')];
  return [];
}

/**
 * The transfer's next step on the wire, decided from where it stands:
 * - the target answered (connecting): the transferee's old bridge ends (TRANSFER), the transferor is released
 *   (TRANSFERRED), the transferee and the target are bridged, and the transfer completes;
 * - it failed: a target leg still up is hung up, and so is the transferee when it was released;
 * - `abort` (a step failed on the wire, or the process manager gave up): TransferFailed PLATFORM_FAILURE,
 *   the target hung up; the transferee is released when its transferor is already gone.
 */
export const continueTransfer = (
  state: CallState,
  c: Cmd<'ContinueTransfer'>,
  ctx: DecideContext,
): Decision => {
  if (state.status !== 'active') return none;
  const s = state;
  const t = s.transfers[c.data.transferId];
  if (!t) return none;
  if (t.status === 'failed') return { events: consults(t) ? rollBack(s, t, c, ctx) : cleanUp(s, t, ctx) };
  if (!isOpen(t)) return none;
  if (c.data.abort !== undefined && consults(t)) {
    const fail = failed(s, t, TransferFailureCause.TRANSFER_FAILURE_CAUSE_PLATFORM_FAILURE, 0, c.data.abort);
    const after = ctx.evolve(s, fail) as Active;
    return { events: [fail, ...rollBack(after, after.transfers[t.transferId]!, c, ctx)] };
  }
  if (t.status === 'connecting' && consults(t)) return consultationStep(s, t, c, ctx);
  if (c.data.abort !== undefined) {
    // Past the transferor's release the transferee has nobody to go back to.
    const a = s.legs[t.transfereeLegId];
    const release = t.status === 'connecting' && up(a) && !up(s.legs[t.transferorLegId]) && !a.bridgeId;
    const fail = failed(
      s,
      t,
      TransferFailureCause.TRANSFER_FAILURE_CAUSE_PLATFORM_FAILURE,
      0,
      c.data.abort,
      release,
    );
    const after = ctx.evolve(s, fail) as Active;
    return { events: [fail, ...cleanUp(after, after.transfers[t.transferId]!, ctx, release)] };
  }
  if (t.status !== 'connecting') return none;
  const a = s.legs[t.transfereeLegId];
  const target = s.legs[t.targetLegId];
  if (!up(a) || !up(target)) return none; // their end failed the transfer already
  const base = { callId: s.callId, clientState: s.clientState };
  const out: CallEvent[] = [];
  let cur: Active = s;
  const push = (...evs: CallEvent[]) => {
    out.push(...evs);
    cur = evs.reduce((at, e) => ctx.evolve(at, e) as Active, cur);
  };
  if (a.bridgeId)
    push({
      type: 'BridgeEnded',
      data: {
        ...base,
        bridgeId: a.bridgeId,
        endedLegId: '',
        reason: BridgeEndReason.BRIDGE_END_REASON_TRANSFER,
        transferId: t.transferId,
      },
    });
  const transferor = cur.legs[t.transferorLegId];
  if (transferor && transferor.status !== 'ended')
    push(...ctx.endLeg(cur, transferor, EndCause.END_CAUSE_TRANSFERRED, 0, `transferred (${t.transferId})`));
  // A transferee the API held talks with the target: its hold ends first (music off, sendrecv).
  const held = cur.legs[a.legId];
  if (held?.status === 'answered' && held.hold?.by === Initiator.INITIATOR_API)
    push(legResumedEvent(cur, a.legId, { by: Initiator.INITIATOR_API, transferId: t.transferId }));
  const joined = joinLegs(
    cur,
    cur.legs[a.legId] as AnsweredLeg,
    cur.legs[target.legId] as AnsweredLeg,
    { bridgeId: c.metadata.newId, key: '' },
    c,
    ctx,
  );
  push(...joined.events, {
    type: 'TransferCompleted',
    data: { ...base, transferId: t.transferId, transfereeLegId: a.legId, targetLegId: target.legId },
  });
  return { events: out, deadlines: joined.deadlines };
};

/**
 * After a failure: the target leg still up is hung up, and the transferee when the failure released it, or
 * when it is left alone (its transferor left while the transfer ran: the pair ends together after all).
 */
function cleanUp(s: Active, t: Transfer, ctx: DecideContext, releaseTransferee = false): CallEvent[] {
  const out: CallEvent[] = [];
  let cur: CallState = s;
  const a = s.legs[t.transfereeLegId];
  const alone = up(a) && !a.bridgeId && s.legs[t.transferorLegId]?.status === 'ended';
  const ids = [t.targetLegId, ...(releaseTransferee || t.released || alone ? [t.transfereeLegId] : [])];
  for (const id of ids) {
    if (cur.status !== 'active') break;
    const l = cur.legs[id];
    if (!l || l.status === 'ended' || (id === t.targetLegId && l.status === 'answered' && l.bridgeId))
      continue;
    const cause =
      id === t.transfereeLegId && alone && !releaseTransferee && !t.released
        ? EndCause.END_CAUSE_BRIDGE_PEER_ENDED
        : EndCause.END_CAUSE_LOCAL_HANGUP;
    const evs = ctx.endLeg(cur, l, cause, 0, `transfer ${t.transferId} failed`);
    out.push(...evs);
    cur = evs.reduce(ctx.evolve, cur);
  }
  return out;
}

/**
 * Progress of the REFER the platform sent (REFER mode): NOTIFY statuses as TransferProgress; a final 2xx
 * completes the transfer and releases the transferee and its peer (TRANSFERRED: the phone's new call
 * replaces them); a final failure fails it, the call as it was. A final status before any NOTIFY is the
 * phone's refusal of the REFER itself (REFER_REJECTED).
 */
export const recordReferProgress = (
  s: Active,
  c: Cmd<'RecordReferProgress'>,
  ctx: DecideContext,
): Decision => {
  const d = c.data;
  const t = s.transfers[d.transferId];
  if (!t || !isOpen(t) || dialsTarget(t)) return none;
  if (!d.final)
    return d.sipStatus === t.lastSipStatus ? none : { events: [progress(s, t, d.sipStatus, d.reason)] };
  if (d.sipStatus < 200 || d.sipStatus >= 300) {
    const cause =
      t.lastSipStatus === 0
        ? TransferFailureCause.TRANSFER_FAILURE_CAUSE_REFER_REJECTED
        : failureCauseOf({ cause: EndCause.END_CAUSE_UNSPECIFIED, sipStatus: d.sipStatus });
    return { events: [failed(s, t, cause, d.sipStatus, d.reason || 'the new call failed')] };
  }
  const out: CallEvent[] = [progress(s, t, d.sipStatus, d.reason)];
  out.push({
    type: 'TransferCompleted',
    data: {
      callId: s.callId,
      clientState: s.clientState,
      transferId: t.transferId,
      transfereeLegId: t.transfereeLegId,
      targetLegId: '',
    },
  });
  let cur: CallState = out.reduce(ctx.evolve, s as CallState);
  for (const id of [t.transfereeLegId, t.transferorLegId]) {
    if (cur.status !== 'active') break;
    const l = cur.legs[id];
    if (!l || l.status === 'ended') continue;
    const evs: CallEvent[] = [];
    if (l.status === 'answered' && l.bridgeId)
      evs.push({
        type: 'BridgeEnded',
        data: {
          callId: s.callId,
          clientState: s.clientState,
          bridgeId: l.bridgeId,
          endedLegId: '',
          reason: BridgeEndReason.BRIDGE_END_REASON_TRANSFER,
          transferId: t.transferId,
        },
      });
    const mid = evs.reduce(ctx.evolve, cur) as Active;
    evs.push(
      ...ctx.endLeg(mid, mid.legs[id]!, EndCause.END_CAUSE_TRANSFERRED, 0, `transferred (${t.transferId})`),
    );
    out.push(...evs);
    cur = evs.reduce(ctx.evolve, cur);
  }
  return { events: out };
};
