// Monitoring: a supervisor dialled into a call (a leg with role SUPERVISOR, never bridged) who hears the
// parties through a mixer, and may whisper to one or barge in. The supervisor leg is dialled once the call
// is connected (a party leg answered); its answer starts the monitor; its end ends only the monitor (never
// the call), and the call's end ends every monitor and hangs the supervisors up (registry.ts endLeg).
import { callEvents } from '@callctl/proto';
import type { CallEvent } from '../../call.events';
import type { CallState, Leg } from '../../call.state';
import {
  active,
  replay,
  requestLeg,
  type Active,
  type Cmd,
  type Deadline,
  type Decision,
} from '../../call.guards';
import { IllegalStateError, NotFoundError, ValidationError } from '../../errors';
import { chained, type DecideContext } from '../capability';
import { dialTarget, platformFrom } from '../legs/dial-target';
import { isParty, partyLegs } from '../legs/roles';
import { participantsMixerLost } from '../participants/participants.decide';
import { isSupervisor, monitorFingerprint, type Monitor } from './monitors.state';

const { EndCause, MonitorEndReason, MonitorMode } = callEvents;
const none: Decision = { events: [] };
const MODES: ReadonlySet<number> = new Set([
  MonitorMode.MONITOR_MODE_LISTEN,
  MonitorMode.MONITOR_MODE_WHISPER,
  MonitorMode.MONITOR_MODE_BARGE,
]);
/** Connected: some party leg is answered, so there is something to hear. */
const connected = (s: Active) => partyLegs(s).some((l) => l.status === 'answered');

type Chosen = { mode: callEvents.MonitorMode; whisperLegId: string };

/** The mode asked (`unspecified` for 0, when it has a meaning) and its whisper leg (WHISPER only). */
function modeOf(
  mode: callEvents.MonitorMode,
  whisperLegId: string,
  unspecified?: callEvents.MonitorMode,
): Chosen {
  const m = mode === MonitorMode.MONITOR_MODE_UNSPECIFIED && unspecified !== undefined ? unspecified : mode;
  return { mode: m, whisperLegId: m === MonitorMode.MONITOR_MODE_WHISPER ? whisperLegId : '' };
}

/** A monitor mode, and for WHISPER a party leg of the call that is up. */
function checkMode(s: Active, chosen: Chosen, asked: callEvents.MonitorMode): Chosen {
  if (!MODES.has(chosen.mode))
    throw new ValidationError(`mode ${asked} is not a monitor mode`, { callId: s.callId });
  if (chosen.mode !== MonitorMode.MONITOR_MODE_WHISPER) return chosen;
  const l = s.legs[chosen.whisperLegId];
  if (!chosen.whisperLegId || !l || !isParty(l) || l.status === 'ended')
    throw new ValidationError(
      `whisper_leg_id must name a party leg of the call, got "${chosen.whisperLegId}"`,
      {
        callId: s.callId,
      },
    );
  return chosen;
}

/** The supervisor leg's DialRequested (role SUPERVISOR, nothing to bridge with) and its ring timeout. */
function dialSupervisor(s: Active, m: Monitor, now: number): { event: CallEvent; deadlines: Deadline[] } {
  return requestLeg(
    {
      callId: s.callId,
      legId: m.supervisorLegId,
      bridgeWithLegId: '',
      toUri: m.supervisorUri,
      fromUri: m.fromUri,
      ringTimeoutMs: m.ringTimeoutMs,
      clientState: s.clientState,
      idempotencyKey: '',
      headers: {},
      role: callEvents.LegRole.LEG_ROLE_SUPERVISOR,
      monitorId: m.monitorId,
    },
    now,
  );
}

export const monitorCall = (s: Active, c: Cmd<'MonitorCall'>, ctx: DecideContext): Decision => {
  const d = c.data;
  const fromUri = d.fromUri || platformFrom(s);
  const uri = dialTarget(d.supervisorUri, fromUri, s.callId, 'supervisor_uri');
  const chosen = modeOf(d.mode, d.whisperLegId, MonitorMode.MONITOR_MODE_LISTEN);
  const asked = { supervisorUri: uri, fromUri, ringTimeoutMs: d.ringTimeoutMs, ...chosen };
  // A retry is answered from its key before the checks of the moment (its whisper leg may have ended since).
  const again = replay(s, c.metadata.idempotencyKey, monitorFingerprint(asked));
  if (again) return again;
  checkMode(s, chosen, d.mode);
  const monitorId = c.metadata.newId;
  const requested: CallEvent = {
    type: 'MonitorRequested',
    data: {
      callId: s.callId,
      monitorId,
      ...asked,
      supervisorLegId: d.supervisorLegId,
      clientState: s.clientState,
      idempotencyKey: c.metadata.idempotencyKey ?? '',
    },
  };
  if (!connected(s)) return { events: [requested], resultId: monitorId };
  const after = ctx.evolve(s, requested) as Active;
  const dialled = dialSupervisor(after, after.monitors[monitorId]!, c.metadata.now);
  return { events: [requested, dialled.event], resultId: monitorId, deadlines: dialled.deadlines };
};

function monitorOf(s: Active, monitorId: string): Monitor {
  const m = s.monitors[monitorId];
  if (!m)
    throw new NotFoundError(`monitor ${monitorId} does not exist in call ${s.callId}`, { callId: s.callId });
  return m;
}

export const setMonitorMode = (s: Active, c: Cmd<'SetMonitorMode'>): Decision => {
  const m = monitorOf(s, c.data.monitorId);
  if (m.status === 'ended')
    throw new IllegalStateError(`monitor ${m.monitorId} has ended`, { callId: s.callId });
  const chosen = checkMode(s, modeOf(c.data.mode, c.data.whisperLegId), c.data.mode);
  if (chosen.mode === m.mode && chosen.whisperLegId === m.whisperLegId) return none;
  return {
    events: [
      {
        type: 'MonitorModeChanged',
        data: { callId: s.callId, monitorId: m.monitorId, ...chosen, clientState: s.clientState },
      },
    ],
  };
};

/** MonitorEnded, then the end of its supervisor leg if it is still up (it ends as the monitor did). */
function endMonitor(
  s: Active,
  m: Monitor,
  reason: callEvents.MonitorEndReason,
  why: string,
  ctx: DecideContext,
): CallEvent[] {
  const ended: CallEvent = {
    type: 'MonitorEnded',
    data: { callId: s.callId, monitorId: m.monitorId, reason, sipStatus: 0, clientState: s.clientState },
  };
  const sup = s.legs[m.supervisorLegId];
  if (!sup || sup.status === 'ended') return [ended];
  const after = ctx.evolve(s, ended) as Active;
  return [ended, ...ctx.endLeg(after, after.legs[sup.legId]!, EndCause.END_CAUSE_LOCAL_HANGUP, 0, why)];
}

export const stopMonitor = (s: Active, c: Cmd<'StopMonitor'>, ctx: DecideContext): Decision => {
  const m = monitorOf(s, c.data.monitorId);
  if (m.status === 'ended') return none; // safe to retry
  return { events: endMonitor(s, m, MonitorEndReason.MONITOR_END_REASON_STOPPED, 'monitor stopped', ctx) };
};

/** On an ended call every monitor has ended: stopping one is OK, an unknown one NOT_FOUND. */
export const stopMonitorOf = (state: CallState, c: Cmd<'StopMonitor'>, ctx: DecideContext): Decision => {
  if (state.status !== 'ended') return stopMonitor(active(state), c, ctx);
  monitorOf(state as unknown as Active, c.data.monitorId);
  return none;
};

/**
 * The mixer holding the call's room died (the media-worker restored the parties' path): every monitor ends,
 * and every participant is removed.
 */
export const recordMixerLost = (s: Active, _c: Cmd<'RecordMixerLost'>, ctx: DecideContext): Decision => {
  const ended = chained(
    s,
    Object.values(s.monitors).filter((m) => m.status !== 'ended'),
    (at, m) => endMonitor(at, m, MonitorEndReason.MONITOR_END_REASON_MIXER_FAILED, 'mixer lost', ctx),
    ctx,
  );
  // The room is the call's, shared with its three-way participants: they go too.
  const after = ended.reduce((a, e) => ctx.evolve(a, e) as Active, s);
  return { events: [...ended, ...participantsMixerLost(after, ctx)] };
};

/**
 * A leg answered: a supervisor's answer starts its monitor; a party's answer connects the call, so the
 * supervisors still waiting for that are dialled.
 */
export function onLegAnswered(s: Active, legId: string, now: number): Decision {
  const l = s.legs[legId];
  if (!l) return none;
  if (isSupervisor(l)) {
    const m = s.monitors[l.monitorId ?? ''];
    if (m?.status !== 'dialling') return none;
    const started: CallEvent = {
      type: 'MonitorStarted',
      data: {
        callId: s.callId,
        monitorId: m.monitorId,
        supervisorLegId: l.legId,
        clientState: s.clientState,
      },
    };
    return { events: [started] };
  }
  if (!isParty(l)) return none;
  const events: CallEvent[] = [];
  const deadlines: Deadline[] = [];
  for (const m of Object.values(s.monitors))
    if (m.status === 'requested') {
      const dialled = dialSupervisor(s, m, now);
      events.push(dialled.event);
      deadlines.push(...dialled.deadlines);
    }
  return { events, deadlines };
}

/** Why a monitor ended, from how its supervisor leg ended. */
export function endReasonOf(cause: callEvents.EndCause, sipStatus: number): callEvents.MonitorEndReason {
  if (cause === EndCause.END_CAUSE_REMOTE_HANGUP)
    return MonitorEndReason.MONITOR_END_REASON_SUPERVISOR_HANGUP;
  if (cause === EndCause.END_CAUSE_LOCAL_HANGUP) return MonitorEndReason.MONITOR_END_REASON_STOPPED;
  // No route or no registered phone (480): the supervisor could not be reached, not "did not answer".
  if (cause === EndCause.END_CAUSE_NO_ROUTE || cause === EndCause.END_CAUSE_NOT_REGISTERED)
    return MonitorEndReason.MONITOR_END_REASON_SUPERVISOR_FAILED;
  if (cause === EndCause.END_CAUSE_BUSY || sipStatus === 486 || sipStatus === 600)
    return MonitorEndReason.MONITOR_END_REASON_SUPERVISOR_BUSY;
  if (cause === EndCause.END_CAUSE_NO_ANSWER || sipStatus === 408 || sipStatus === 480)
    return MonitorEndReason.MONITOR_END_REASON_SUPERVISOR_NO_ANSWER;
  return MonitorEndReason.MONITOR_END_REASON_SUPERVISOR_FAILED;
}

/** A supervisor leg that ends ends its monitor (with the leg's SIP status); a party leg's end ends none. */
export function onLegEnded(
  s: Active,
  l: Leg,
  end: { cause: callEvents.EndCause; sipStatus: number },
): CallEvent[] {
  if (!isSupervisor(l)) return [];
  const m = s.monitors[l.monitorId ?? ''];
  if (!m || m.status === 'ended') return [];
  return [
    {
      type: 'MonitorEnded',
      data: {
        callId: s.callId,
        monitorId: m.monitorId,
        reason: endReasonOf(end.cause, end.sipStatus),
        sipStatus: end.sipStatus,
        clientState: s.clientState,
      },
    },
  ];
}

/** The call ends: every monitor ends with it (its supervisor leg is hung up next, registry.ts). */
export const onCallEnded = (s: Active): CallEvent[] =>
  Object.values(s.monitors)
    .filter((m) => m.status !== 'ended')
    .map((m) => ({
      type: 'MonitorEnded' as const,
      data: {
        callId: s.callId,
        monitorId: m.monitorId,
        reason: MonitorEndReason.MONITOR_END_REASON_CALL_ENDED,
        sipStatus: 0,
        clientState: s.clientState,
      },
    }));
