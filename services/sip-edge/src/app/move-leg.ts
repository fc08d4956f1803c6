// MoveLeg: a live leg changes call (a phone's REFER with Replaces joins the remote parties of two calls, and
// the orchestrator records the move in both). Only sip-edge's bookkeeping changes: the leg is looked up
// under its new call id, its facts go to the new call (with that call's fact sequence), its log lines and
// journal entry say so. Its dialog, its media (the plan keys parties by leg id, and a session stays on the
// media-worker that made it) and its bridge are untouched.
import type { sipEdge } from '@callctl/proto';
import { LegNotFoundError } from '../domain/errors.js';
import type { LegContext } from './leg-context.js';
import { journalOf } from './leg-journal.js';
import { hasEnded } from './leg-registry.js';

export function moveLeg(ctx: LegContext, input: sipEdge.MoveLegRequest): void {
  const { callId, legId, toCallId } = input;
  const leg = ctx.registry.find(legId);
  // A retry: the leg is in its new call already.
  if (leg?.callId === toCallId) return;
  if (!leg || leg.callId !== callId || hasEnded(leg))
    throw new LegNotFoundError(`no live leg ${legId} in call ${callId}`, { callId, legId });
  leg.callId = toCallId;
  leg.log = leg.log.child({ callId: toCallId, movedFromCallId: callId });
  ctx.journal.record(journalOf(ctx.plan, leg));
  leg.log.info({ fromCallId: callId }, 'leg moved to another call');
}
