// A phone's REFER with Replaces (attended transfer from the phone): the phone P has two calls through the
// platform, call 1 (P1 bridged with X1) and call 2 (P2 bridged with X2), and asks on P1 that X1 take over
// P2's dialog. The platform joins X1 and X2 itself (it never sends an INVITE with Replaces: linphone
// crashes on one) by moving X2 into call 1, where the transfer runs like a blind one whose target answered:
//
//   call 1: TransferRequested (ATTENDED, REMOTE, replaces ids, no target leg yet)
//   call 2: MoveLegOut → [sip-edge MoveLeg X2 → call 1] BridgeEnded(P2–X2, TRANSFER) + LegMovedOut(X2)
//           + LegEnded(P2, REPLACED) (+ CallEnded: X2 was its last party) → [HangupLeg P2]
//   call 1: RecordLegMovedIn → LegMovedIn(X2, answered) + TransferProgress 200 (X2 is the target)
//   call 1: ContinueTransfer (transfers.decide.ts) → BridgeEnded(X1–P1) + LegEnded(P1, TRANSFERRED)
//           + LegsBridged(X1, X2) + TransferCompleted → NOTIFY 200 to P
//
// Each call records its own part in its own stream, and every step is idempotent: the transfer process
// manager (app/process-managers/transfer-driver.ts) repeats from the first unfinished one after a crash.
// The move happens in one call's decision (LegMovedOut), and the arrival is read off it, so a leg is never
// in two calls at once, nor lost: one that arrives for a transfer that failed meanwhile is hung up.
import { callEvents } from '@callctl/proto';
import type { CallEvent } from '../../call.events';
import type { CallState } from '../../call.state';
import { active, type Active, type Cmd, type Decision } from '../../call.guards';
import { IllegalStateError } from '../../errors';
import { withLeg, type DecideContext, type Evolver } from '../capability';
import { legMedia } from '../legs/legs.state';
import { isOpen, openTransferOf, type TransfersState } from './transfers.state';
import { peerOf, progress, up } from './transfers.decide';

const { BridgeEndReason, EndCause } = callEvents;
const none: Decision = { events: [] };

/**
 * In the replaced leg's call: the replaced leg's bridge peer leaves for `toCallId`, the replaced leg ends
 * (REPLACED). Again after it happened (a re-drive): nothing, the LegMovedOut stays in `movedOut`.
 */
export const moveLegOut = (state: CallState, c: Cmd<'MoveLegOut'>, ctx: DecideContext): Decision => {
  const d = c.data;
  if (state.status !== 'none' && state.movedOut[d.transferId]) return none;
  const s = active(state);
  const r = s.legs[d.legId];
  const x = r ? peerOf(s, r) : undefined;
  if (!up(r) || r.role || !r.bridgeId || !up(x) || x.role)
    throw new IllegalStateError(`leg ${d.legId} is not bridged with a party that could be moved`, {
      callId: s.callId,
      legId: d.legId,
    });
  if (openTransferOf(s, r.legId) || openTransferOf(s, x.legId))
    throw new IllegalStateError(`a transfer of leg ${d.legId} runs already`, {
      callId: s.callId,
      legId: d.legId,
    });
  const base = { callId: s.callId, clientState: s.clientState };
  const out: CallEvent[] = [
    {
      type: 'BridgeEnded',
      data: {
        ...base,
        bridgeId: r.bridgeId,
        endedLegId: '',
        reason: BridgeEndReason.BRIDGE_END_REASON_TRANSFER,
        transferId: d.transferId,
      },
    },
    {
      type: 'LegMovedOut',
      data: {
        ...base,
        legId: x.legId,
        toCallId: d.toCallId,
        transferId: d.transferId,
        direction: x.direction,
        fromUri: x.fromUri,
        toUri: x.toUri,
        sipCallId: x.sipCallId,
        media: x.media,
      },
    },
  ];
  const after = out.reduce(ctx.evolve, s as CallState) as Active;
  out.push(...ctx.endLeg(after, after.legs[r.legId]!, EndCause.END_CAUSE_REPLACED, 0, 'replaced'));
  return { events: out };
};

/**
 * In the transfer's call: the leg arrives answered and is the transfer's target (TransferProgress 200: the
 * process manager moves the legs next). A transfer that ended meanwhile has nothing for it: it is hung up.
 */
export const recordLegMovedIn = (
  state: CallState,
  c: Cmd<'RecordLegMovedIn'>,
  ctx: DecideContext,
): Decision => {
  const m = c.data.moved;
  if (state.status !== 'active' || state.legs[m.legId]) return none;
  const s = state;
  const arrived: CallEvent = {
    type: 'LegMovedIn',
    data: {
      callId: s.callId,
      clientState: s.clientState,
      legId: m.legId,
      fromCallId: m.callId,
      transferId: m.transferId,
      direction: m.direction,
      fromUri: m.fromUri,
      toUri: m.toUri,
      sipCallId: m.sipCallId,
      ...(m.media ? { media: m.media } : {}),
    },
  };
  const after = ctx.evolve(s, arrived) as Active;
  const t = after.transfers[m.transferId];
  if (t && isOpen(t)) return { events: [arrived, progress(after, t, 200, 'OK')] };
  const why = `transfer ${m.transferId} ended before the leg arrived`;
  return {
    events: [arrived, ...ctx.endLeg(after, after.legs[m.legId]!, EndCause.END_CAUSE_LOCAL_HANGUP, 0, why)],
  };
};

export const movesEvolve = {
  LegMovedOut: ((s, { data: d }) => {
    const { [d.legId]: _gone, ...legs } = s.legs;
    const moves: TransfersState['movedOut'] = { ...s.movedOut, [d.transferId]: d };
    return { ...s, legs, movedOut: moves };
  }) as Evolver<'LegMovedOut'>,
  LegMovedIn: ((s, { data: d }) => {
    const withIt = withLeg(s, {
      legId: d.legId,
      direction: d.direction,
      fromUri: d.fromUri,
      toUri: d.toUri,
      ringTimeoutMs: 0,
      sipCallId: d.sipCallId,
      media: legMedia(d.fromCallId, d.legId, d.media),
      status: 'answered',
      echo: false,
    });
    const t = withIt.transfers[d.transferId];
    if (!t) return withIt;
    return { ...withIt, transfers: { ...withIt.transfers, [t.transferId]: { ...t, targetLegId: d.legId } } };
  }) as Evolver<'LegMovedIn'>,
};
