// Transfers' part of the call state: each transfer by id, from its TransferRequested to its end. Where a
// transfer stands between its events is read off the legs it names (the target leg dialled, answered or
// ended; the transferor ended), so no event is needed just to move a step on.
import { callEvents } from '@callctl/proto';
import type { Leg } from '../../call.state';
import { remember } from '../../idempotency';
import type { Evolver } from '../capability';

const { TransferMode } = callEvents;

export type Transfer = {
  readonly transferId: string;
  readonly kind: callEvents.TransferKind;
  readonly mode: callEvents.TransferMode;
  readonly by: callEvents.Initiator;
  readonly transfereeLegId: string;
  readonly transferorLegId: string;
  readonly targetUri: string;
  readonly targetLegId: string;
  readonly referredBy: string;
  /** A phone's REFER with Replaces: the leg (of another call) its dialog names; '' otherwise. */
  readonly replacesCallId: string;
  readonly replacesLegId: string;
  readonly fromUri: string;
  readonly timeoutMs: number;
  readonly releaseOnFailure: boolean;
  readonly awaitingDecision: boolean;
  readonly decisionDeadlineMs: number;
  /** A phone's REFER: the key that names it (`refer|<leg>|<refer id>`), which NotifyRefer answers. */
  readonly idempotencyKey: string;
  /**
   * `requested`: dialling the target (or REFER sent, or waiting for a decision); `connecting`: the target
   * answered (TransferProgress 200) and the legs are being moved; then completed or failed.
   */
  readonly status: 'requested' | 'connecting' | 'completed' | 'failed';
  readonly lastSipStatus: number;
  /** It failed and released the transferee (release_on_failure, or nothing left to go back to). */
  readonly released?: boolean;
  /** Why it failed (TransferFailed.cause). */
  readonly failureCause?: callEvents.TransferFailureCause;
  /** ATTENDED: the target talks with the transferor (ConsultationStarted), until ConsultationEnded. */
  readonly consultation?: 'started' | 'ended';
};
export type TransfersState = {
  readonly transfers: Readonly<Record<string, Transfer>>;
  /** Legs that left this call for another one (LegMovedOut), by the transfer that moved them. */
  readonly movedOut: Readonly<Record<string, callEvents.LegMovedOut>>;
};

const REFER_KEY = 'refer|';
/** The idempotency key of a phone's REFER: its leg and the refer id sip-edge gave it (the CSeq). */
export const referKey = (legId: string, referId: string) => `${REFER_KEY}${legId}|${referId}`;
/** The leg and refer id a phone's REFER was recorded under ('' when the transfer is not one). */
export function referOf(t: Pick<Transfer, 'idempotencyKey'>): { legId: string; referId: string } | undefined {
  if (!t.idempotencyKey.startsWith(REFER_KEY)) return undefined;
  const [legId = '', referId = ''] = t.idempotencyKey.slice(REFER_KEY.length).split('|');
  return { legId, referId };
}

export const transferFingerprint = (d: {
  kind: callEvents.TransferKind;
  mode: callEvents.TransferMode;
  transfereeLegId: string;
  targetUri: string;
  fromUri: string;
  timeoutMs: number;
  releaseOnFailure: boolean;
}) =>
  `transfer|${d.kind}|${d.mode}|${d.transfereeLegId}|${d.targetUri}|${d.fromUri}|${d.timeoutMs}|${d.releaseOnFailure}`;

export const isOpen = (t: Transfer) => t.status === 'requested' || t.status === 'connecting';
export const isAttended = (t: Transfer) => t.kind === callEvents.TransferKind.TRANSFER_KIND_ATTENDED;
/** A phone's REFER with Replaces: its target is the replaced leg's peer in another call (replaces.decide.ts). */
export const replacing = (t: Pick<Transfer, 'replacesLegId'>) => t.replacesLegId !== '';
/** A consultation (StartConsultation), as opposed to a phone's attended transfer (REFER with Replaces). */
export const consults = (t: Transfer) => isAttended(t) && !replacing(t);
const REMOTE = callEvents.Initiator.INITIATOR_REMOTE;
/** A consultation (StartConsultation) that has not ended yet: its held party and transferor are its. */
const consulting = (t: Transfer) => consults(t) && t.by !== REMOTE && t.consultation !== 'ended';
/** The transfer still running on this leg (as transferee, transferor or target), if any. */
export const openTransferOf = (s: TransfersState, legId: string): Transfer | undefined =>
  Object.values(s.transfers).find(
    (t) =>
      isOpen(t) && (t.transfereeLegId === legId || t.transferorLegId === legId || t.targetLegId === legId),
  );
/** The platform dials the target itself (BRIDGE, a phone's REFER, a consultation): not REFER mode. */
export const dialsTarget = (t: Transfer) => t.mode !== TransferMode.TRANSFER_MODE_REFER;

/**
 * Whether this leg is being moved by a transfer whose target answered, or whose target is being dialled: it
 * must not be hung up because its old bridge came apart (process-managers/record-fact.ts).
 */
export const beingTransferred = (s: TransfersState, leg: Pick<Leg, 'legId'>): boolean =>
  Object.values(s.transfers).some(
    (t) =>
      (isOpen(t) && dialsTarget(t) && t.transfereeLegId === leg.legId) ||
      (consulting(t) && (t.transfereeLegId === leg.legId || t.transferorLegId === leg.legId)),
  );

/** The consultation running on this leg (held party, transferor or target), until its ConsultationEnded. */
export const consultationOf = (s: TransfersState, legId: string): Transfer | undefined =>
  Object.values(s.transfers).find(
    (t) =>
      consulting(t) &&
      (t.transfereeLegId === legId || t.transferorLegId === legId || t.targetLegId === legId),
  );

const withTransfer = <S extends TransfersState>(s: S, t: Transfer): S => ({
  ...s,
  transfers: { ...s.transfers, [t.transferId]: t },
});

const transferRequested: Evolver<'TransferRequested'> = (s, { data: d }) => ({
  ...withTransfer(s, {
    transferId: d.transferId,
    kind: d.kind,
    mode: d.mode,
    by: d.by,
    transfereeLegId: d.transfereeLegId,
    transferorLegId: d.transferorLegId,
    targetUri: d.targetUri,
    targetLegId: d.targetLegId,
    referredBy: d.referredBy,
    replacesCallId: d.replacesCallId,
    replacesLegId: d.replacesLegId,
    fromUri: d.fromUri,
    timeoutMs: d.timeoutMs,
    releaseOnFailure: d.releaseOnFailure,
    awaitingDecision: d.awaitingDecision,
    decisionDeadlineMs: d.decisionDeadlineMs,
    idempotencyKey: d.idempotencyKey,
    status: 'requested',
    lastSipStatus: 0,
  }),
  idempotency: remember(s.idempotency, d.idempotencyKey, transferFingerprint(d), d.transferId),
});

const transferProgress: Evolver<'TransferProgress'> = (s, { data: d }) => {
  const t = s.transfers[d.transferId];
  if (!t || !isOpen(t)) return s;
  // A 2xx of the target leg (BRIDGE) means it answered: the legs are moved next.
  const connecting = dialsTarget(t) && d.sipStatus >= 200 && d.sipStatus < 300;
  return withTransfer(s, {
    ...t,
    lastSipStatus: d.sipStatus,
    ...(connecting ? { status: 'connecting' as const } : {}),
  });
};

const ended =
  (status: 'completed' | 'failed') =>
  (s: Parameters<Evolver<'TransferCompleted'>>[0], transferId: string) => {
    const t = s.transfers[transferId];
    return t ? withTransfer(s, { ...t, status, awaitingDecision: false }) : s;
  };

export const transfersEvolve = {
  TransferRequested: transferRequested,
  TransferProgress: transferProgress,
  TransferCompleted: ((s, e) => ended('completed')(s, e.data.transferId)) as Evolver<'TransferCompleted'>,
  TransferFailed: ((s, e) => {
    const next = ended('failed')(s, e.data.transferId);
    const t = next.transfers[e.data.transferId];
    if (!t) return next;
    return withTransfer(next, {
      ...t,
      failureCause: e.data.cause,
      ...(e.data.transfereeReleased ? { released: true } : {}),
    });
  }) as Evolver<'TransferFailed'>,
  ConsultationStarted: ((s, e) => {
    const t = s.transfers[e.data.transferId];
    return t ? withTransfer(s, { ...t, consultation: 'started' }) : s;
  }) as Evolver<'ConsultationStarted'>,
  ConsultationEnded: ((s, e) => {
    const t = s.transfers[e.data.transferId];
    return t ? withTransfer(s, { ...t, consultation: 'ended' }) : s;
  }) as Evolver<'ConsultationEnded'>,
};
