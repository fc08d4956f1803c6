// Monitors' part of the call state: each monitor by id, its mode and where its supervisor is. A monitor is
// `requested` until its supervisor leg is dialled (a call not connected yet waits for a party's answer),
// `dialling` until the supervisor answers, `started` while the supervisor hears the call, `ended` for good.
import { callEvents } from '@callctl/proto';
import type { Leg } from '../../call.state';
import { remember } from '../../idempotency';
import type { Evolver } from '../capability';

export type Monitor = {
  readonly monitorId: string;
  readonly supervisorUri: string;
  readonly fromUri: string;
  readonly ringTimeoutMs: number;
  readonly supervisorLegId: string;
  readonly mode: callEvents.MonitorMode;
  /** WHISPER: the party leg that hears the supervisor ('' otherwise). */
  readonly whisperLegId: string;
  readonly status: 'requested' | 'dialling' | 'started' | 'ended';
  readonly reason?: callEvents.MonitorEndReason;
  /** It started once (its supervisor answered): its room may hold something after it ended. */
  readonly wasStarted?: boolean;
};
export type MonitorsState = { readonly monitors: Readonly<Record<string, Monitor>> };

export const monitorFingerprint = (d: {
  supervisorUri: string;
  mode: callEvents.MonitorMode;
  whisperLegId: string;
  fromUri: string;
  ringTimeoutMs: number;
}) => `monitor|${d.supervisorUri}|${d.mode}|${d.whisperLegId}|${d.fromUri}|${d.ringTimeoutMs}`;

/** A leg dialled by MonitorCall: it never keeps the call up and is never bridged. */
export const isSupervisor = (l: Pick<Leg, 'role'> | undefined): boolean =>
  l?.role === callEvents.LegRole.LEG_ROLE_SUPERVISOR;

const withMonitor = <S extends MonitorsState>(s: S, m: Monitor): S => ({
  ...s,
  monitors: { ...s.monitors, [m.monitorId]: m },
});

const monitorRequested: Evolver<'MonitorRequested'> = (s, { data: d }) => ({
  ...withMonitor(s, {
    monitorId: d.monitorId,
    supervisorUri: d.supervisorUri,
    fromUri: d.fromUri,
    ringTimeoutMs: d.ringTimeoutMs,
    supervisorLegId: d.supervisorLegId,
    mode: d.mode,
    whisperLegId: d.whisperLegId,
    status: 'requested',
  }),
  idempotency: remember(s.idempotency, d.idempotencyKey, monitorFingerprint(d), d.monitorId),
});

const monitorStarted: Evolver<'MonitorStarted'> = (s, e) => {
  const m = s.monitors[e.data.monitorId];
  return m && m.status !== 'ended' ? withMonitor(s, { ...m, status: 'started', wasStarted: true }) : s;
};

const monitorModeChanged: Evolver<'MonitorModeChanged'> = (s, e) => {
  const m = s.monitors[e.data.monitorId];
  return m ? withMonitor(s, { ...m, mode: e.data.mode, whisperLegId: e.data.whisperLegId }) : s;
};

const monitorEnded: Evolver<'MonitorEnded'> = (s, e) => {
  const m = s.monitors[e.data.monitorId];
  return m ? withMonitor(s, { ...m, status: 'ended', reason: e.data.reason }) : s;
};

/** The supervisor leg's DialRequested (bridges.state.ts adds the leg) moves its monitor to `dialling`. */
export const supervisorDialled = <S extends MonitorsState>(s: S, monitorId: string): S => {
  const m = s.monitors[monitorId];
  return m?.status === 'requested' ? withMonitor(s, { ...m, status: 'dialling' }) : s;
};

export const monitorsEvolve = {
  MonitorRequested: monitorRequested,
  MonitorStarted: monitorStarted,
  MonitorModeChanged: monitorModeChanged,
  MonitorEnded: monitorEnded,
};
