// Legs' SIP actions: answer, reject and hang up before the append; the INVITE of a new leg after it.
import { callEvents } from '@callctl/proto';
import type { CallCommand } from '../../domain/call.commands.js';
import type { Decision } from '../../domain/call.guards.js';
import { isPeerError, PEER_ERROR_CODES } from '../errors.js';
import type { CapabilityEffects, EffectPorts } from './effects.js';

/**
 * sip-edge's own ring timer is the backstop for an orchestrator that cannot act (down, or the call's facts
 * held up): the ring timeout is the orchestrator's deadline, which records the NO_ANSWER under a trace of its
 * own and hangs the leg up. Given the same timeout, sip-edge's timer (started at the INVITE, a few ms later)
 * raced the deadline whenever that waited for the call's facts, and the leg then ended by sip-edge's CANCEL.
 */
export const SIP_EDGE_RING_BACKSTOP_MS = 1000;

/**
 * Places the INVITE of each leg the decision requested (CreateCall's first leg, Dial's leg, a supervisor's
 * leg), or only of those `which` picks.
 */
export async function placeRequestedLegs(
  ports: EffectPorts,
  callId: string,
  decision: Decision,
  which: (e: Decision['events'][number]) => boolean = () => true,
): Promise<void> {
  for (const e of decision.events) {
    if ((e.type === 'LegInitiated' || e.type === 'DialRequested') && which(e))
      await ports.sipEdge.placeCall({
        callId,
        legId: e.data.legId,
        toUri: e.data.toUri,
        fromUri: e.data.fromUri,
        // 0: no deadline here, sip-edge's default applies.
        ringTimeoutMs: e.data.ringTimeoutMs > 0 ? e.data.ringTimeoutMs + SIP_EDGE_RING_BACKSTOP_MS : 0,
        bridgeWithLegId: e.type === 'DialRequested' ? e.data.bridgeWithLegId : '',
        // Referred-By of a transfer a phone asked for.
        ...(e.type === 'DialRequested' && Object.keys(e.data.headers ?? {}).length > 0
          ? { headers: e.data.headers }
          : {}),
      });
  }
}

/** The leg whose INVITE could not be sent ends (UNREACHABLE when sip-edge refused it). */
export function inviteNotSent(
  command: CallCommand,
  decision: Decision,
  error: unknown,
): CallCommand | undefined {
  const legId = decision.resultId;
  if (!legId) return undefined;
  const refused =
    isPeerError(error, PEER_ERROR_CODES.validation) || isPeerError(error, PEER_ERROR_CODES.notFound);
  return {
    type: 'RecordLegEnded',
    data: {
      legId,
      sipStatus: 0,
      reason: `INVITE not sent: ${error instanceof Error ? error.message : String(error)}`,
      cause: refused
        ? callEvents.EndCause.END_CAUSE_UNREACHABLE
        : callEvents.EndCause.END_CAUSE_PLATFORM_FAILURE,
    },
    metadata: command.metadata,
  };
}

/**
 * The afterFailed of a command whose decision dials a leg of its own (a supervisor, a participant) and
 * answers with another id: that leg, picked by `isDial`, ends as its INVITE could not be sent.
 */
export const dialledLegNotSent =
  (isDial: (e: Decision['events'][number]) => boolean) =>
  (command: CallCommand, decision: Decision, error: unknown): CallCommand | undefined => {
    const dialled = decision.events.find(isDial);
    return dialled?.type === 'DialRequested'
      ? inviteNotSent(command, { ...decision, resultId: dialled.data.legId }, error)
      : undefined;
  };

async function hangupLeg(
  ports: EffectPorts,
  callId: string,
  legId: string,
  reason: string,
  cause?: callEvents.EndCause,
): Promise<void> {
  try {
    await ports.sipEdge.hangupLeg(callId, legId, reason, cause);
  } catch (error) {
    if (!isPeerError(error, PEER_ERROR_CODES.notFound)) throw error; // sip-edge no longer holds it: ended
  }
}

/** Hangs up, through sip-edge, every leg the decision ends (before the append, as Hangup does). */
export async function hangupEndedLegs(
  ports: EffectPorts,
  callId: string,
  decision: Decision,
  reason: string,
): Promise<void> {
  // Each with its own cause (the maximum duration, a bridge peer gone, ...): the Reason header's Q.850 cause.
  const ended = decision.events.flatMap((e) => (e.type === 'LegEnded' ? [e.data] : []));
  await Promise.all(ended.map((leg) => hangupLeg(ports, callId, leg.legId, reason, leg.cause)));
}

export const legsEffects: CapabilityEffects = {
  name: 'legs',
  effects: {
    CreateCall: {
      after: (ports, callId, _command, decision) => placeRequestedLegs(ports, callId, decision),
      afterFailed: inviteNotSent,
    },
    AnswerLeg: {
      before: (ports, callId, command) =>
        ports.sipEdge.answerLeg(callId, command.data.legId, command.data.detectInbandDtmf ?? false),
      // The 200 OK sip-edge sent was reported before our append.
      alreadyDone: (command, state) => state.legs[command.data.legId]?.status === 'answered',
    },
    RejectLeg: {
      before: (ports, callId, command) =>
        ports.sipEdge.rejectLeg(
          callId,
          command.data.legId,
          command.data.sipStatus || 603,
          command.data.reason,
        ),
      alreadyDone: (command, state) => state.legs[command.data.legId]?.status === 'ended',
    },
    Hangup: {
      before: (ports, callId, command, decision) =>
        hangupEndedLegs(ports, callId, decision, command.data.reason ?? 'hangup requested'),
    },
  },
};
