// Recording a fact, and what the platform does about it. A bridged pair ends together: when a fact says
// one leg ended (the far end's BYE, a failure), the leg it was bridged with is hung up with
// BRIDGE_PEER_ENDED, unless a transfer or consultation took the bridge apart (its BridgeEnded says so) or is
// moving that peer to another party. The reaction is derived from the call's state, not from the events just appended, so a
// fact redelivered after a crash (its events already in the log) still ends a peer left up.
import { callEvents } from '@callctl/proto';
import type { CallCommand } from '../../domain/call.commands.js';
import { foldEvents, type CallState } from '../../domain/call.state.js';
import type { CommandContext, CommandHandler } from '../handle-command.js';
import { beingTransferred } from '../../domain/capabilities/transfers/transfers.state.js';

const { BridgeEndReason } = callEvents;
/** Bridges taken apart on purpose: their legs were moved, not left alone. */
const MOVED: ReadonlySet<number> = new Set([
  BridgeEndReason.BRIDGE_END_REASON_TRANSFER,
  BridgeEndReason.BRIDGE_END_REASON_CONSULTATION,
]);

/** Answered legs whose bridge ended because `legId` ended, and that no other bridge holds. */
export function peersLeftAlone(state: CallState, legId: string): string[] {
  if (state.status !== 'active' || state.legs[legId]?.status !== 'ended') return [];
  const out: string[] = [];
  for (const bridge of Object.values(state.bridges)) {
    if (bridge.status !== 'ended' || (bridge.legAId !== legId && bridge.legBId !== legId)) continue;
    if (bridge.endReason !== undefined && MOVED.has(bridge.endReason)) continue;
    const peer = state.legs[bridge.legAId === legId ? bridge.legBId : bridge.legAId];
    if (peer?.status === 'answered' && !peer.bridgeId && !beingTransferred(state, peer)) out.push(peer.legId);
  }
  return out;
}

export async function recordFact(
  handler: Pick<CommandHandler, 'handle'>,
  callId: string,
  command: CallCommand,
  context: CommandContext,
): Promise<void> {
  const outcome = await handler.handle(callId, command, context);
  if (command.type !== 'RecordLegEnded') return;
  // The state right after this fact: what was loaded, plus what was decided (nothing for a redelivery).
  const state = foldEvents(outcome.decision.events, outcome.call.state);
  for (const peer of peersLeftAlone(state, command.data.legId))
    await handler.handle(
      callId,
      {
        type: 'Hangup',
        data: {
          legId: peer,
          cause: callEvents.EndCause.END_CAUSE_BRIDGE_PEER_ENDED,
          reason: `bridged leg ${command.data.legId} ended`,
        },
        metadata: command.metadata,
      },
      { ...context, onceForCausation: false },
    );
}
