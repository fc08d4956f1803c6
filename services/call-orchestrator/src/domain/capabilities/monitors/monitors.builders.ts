// One-line test builders of monitoring: events and commands. Monitor M1, its supervisor leg S1.
import { callEvents } from '@callctl/proto';
import type { CallCommand } from '../../call.commands';
import type { CallEvent } from '../../call.events';
import { base, meta } from '../../testing/builder-base';
import { bothAnswered, legAnswered, legInitiated } from '../legs/legs.builders';

const { MonitorMode, MonitorEndReason, LegRole } = callEvents;
export { MonitorMode, MonitorEndReason };
export const SUP_URI = 'sip:sup@127.0.0.1';

export const monitorCall = (
  o: Partial<{ uri: string; mode: callEvents.MonitorMode; whisper: string; key: string; id: string }> = {},
): CallCommand => ({
  type: 'MonitorCall',
  data: {
    supervisorUri: o.uri ?? SUP_URI,
    mode: o.mode ?? MonitorMode.MONITOR_MODE_UNSPECIFIED,
    whisperLegId: o.whisper ?? '',
    fromUri: '',
    ringTimeoutMs: 30_000,
    supervisorLegId: o.id === 'M2' ? 'S2' : 'S1',
  },
  metadata: meta(o.id ?? 'M1', 'key' in o ? o.key : 'k-mon'),
});

export const monitorRequested = (
  o: Partial<{ mode: callEvents.MonitorMode; whisper: string; id: string; uri: string; key: string }> = {},
): CallEvent => ({
  type: 'MonitorRequested',
  data: {
    ...base,
    monitorId: o.id ?? 'M1',
    supervisorUri: o.uri ?? SUP_URI,
    mode: o.mode ?? MonitorMode.MONITOR_MODE_LISTEN,
    whisperLegId: o.whisper ?? '',
    supervisorLegId: o.id === 'M2' ? 'S2' : 'S1',
    fromUri: 'sip:app@127.0.0.1',
    ringTimeoutMs: 30_000,
    idempotencyKey: o.key ?? 'k-mon',
  },
});

export const supervisorDialled = (monitorId = 'M1', uri = SUP_URI): CallEvent => ({
  type: 'DialRequested',
  data: {
    ...base,
    legId: monitorId === 'M2' ? 'S2' : 'S1',
    bridgeWithLegId: '',
    toUri: uri,
    fromUri: 'sip:app@127.0.0.1',
    ringTimeoutMs: 30_000,
    idempotencyKey: '',
    headers: {},
    role: LegRole.LEG_ROLE_SUPERVISOR,
    monitorId,
  },
});

export const monitorStarted = (monitorId = 'M1'): CallEvent => ({
  type: 'MonitorStarted',
  data: { ...base, monitorId, supervisorLegId: monitorId === 'M2' ? 'S2' : 'S1' },
});

export const monitorModeChanged = (
  mode: callEvents.MonitorMode,
  whisper = '',
  monitorId = 'M1',
): CallEvent => ({
  type: 'MonitorModeChanged',
  data: { ...base, monitorId, mode, whisperLegId: whisper },
});

export const monitorEnded = (
  reason: callEvents.MonitorEndReason,
  sipStatus = 0,
  monitorId = 'M1',
): CallEvent => ({
  type: 'MonitorEnded',
  data: { ...base, monitorId, reason, sipStatus },
});

export const setMonitorMode = (
  mode: callEvents.MonitorMode,
  whisper = '',
  monitorId = 'M1',
): CallCommand => ({
  type: 'SetMonitorMode',
  data: { monitorId, mode, whisperLegId: whisper },
  metadata: meta(),
});

export const stopMonitor = (monitorId = 'M1'): CallCommand => ({
  type: 'StopMonitor',
  data: { monitorId },
  metadata: meta(),
});

export const recordMixerLost = (): CallCommand => ({
  type: 'RecordMixerLost',
  data: { sessionId: 'C1', tag: 'S1', routeId: 'sup-M1' },
  metadata: meta(),
});

/** A connected call (A and B answered) whose supervisor S1 is up: monitor M1 started (listening). */
export const monitoredCall = (): CallEvent[] => [
  ...bothAnswered(),
  monitorRequested(),
  supervisorDialled(),
  legInitiated('S1'),
  legAnswered('S1'),
  monitorStarted(),
];
